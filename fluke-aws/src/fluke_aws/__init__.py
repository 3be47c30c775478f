"""Fluke plugin for Amazon Web Services.

Provides, through Fluke's plugin hooks (see :mod:`fluke_aws.plugin`):

* ``fluke.storage.AmazonS3File`` / ``fluke.storage.AmazonS3Dir`` (S3),
* ``fluke.queues.AmazonSQSQueue`` (SQS),
* ``fluke.auth.AWSAuth``.

Importing this package does not import boto3; the modules the names point to
(:mod:`fluke_aws.storage`, :mod:`fluke_aws.queues`, :mod:`fluke_aws.auth`) do.
"""

__all__: list[str] = []
