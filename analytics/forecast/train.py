"""SageMaker entry point (scikit-learn container): ``python train.py [--seed N --max-iter N ...]``.

Reads SM_CHANNEL_TRAIN / SM_MODEL_DIR / SM_OUTPUT_DATA_DIR; locally ``--data`` and ``--output`` stand in.
The serving hooks are re-exported from ``inference.py`` (the endpoint's SAGEMAKER_PROGRAM).
"""

from __future__ import annotations

import sys

from analytics.forecast.inference import input_fn, model_fn, output_fn, predict_fn
from analytics.forecast.training import main

__all__ = ["input_fn", "main", "model_fn", "output_fn", "predict_fn"]

if __name__ == "__main__":
    sys.exit(main())
