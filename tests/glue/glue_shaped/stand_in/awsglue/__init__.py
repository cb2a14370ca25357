"""Local stand-in for the part of AWS Glue's ``awsglue`` package the lake's jobs use (tests/glue/glue_shaped only).

It is put on the Python path of the Glue-shaped subprocess and nowhere else, so ``energylake.runtime`` takes its
Glue branch there exactly as on AWS Glue 5.0. Not a copy of awsglue: the argument rules are re-implemented from
the published awslabs/aws-glue-libs ``awsglue/utils.py`` (see ``utils.py``); Job and GlueContext only record.
"""
