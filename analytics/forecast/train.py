"""SageMaker entry point (scikit-learn container): ``python train.py [--seed N --max-iter N ...]``.

Reads SM_CHANNEL_TRAIN / SM_MODEL_DIR / SM_OUTPUT_DATA_DIR; locally ``--data`` and ``--output`` stand in.
"""

from __future__ import annotations

import sys

from analytics.forecast.training import main, model_fn, predict_fn

__all__ = ["main", "model_fn", "predict_fn"]

if __name__ == "__main__":
    sys.exit(main())
