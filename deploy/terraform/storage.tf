# The uploads bucket (primary region) and its replica (standby region), both versioned,
# SSE-KMS with the region's key, and closed to the public. Replication runs with Replication
# Time Control: S3 replicates 99.99 % of objects within 15 minutes and publishes replication
# metrics (and events past the threshold), so the uploads' RPO is bounded and observable.

locals {
  replica_bucket_name = coalesce(var.replica_bucket_name, "${var.uploads_bucket_name}-${var.standby_region}")
}

# --- the uploads bucket (primary) -------------------------------------------------------------

resource "aws_s3_bucket" "uploads" {
  bucket = var.uploads_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket                  = aws_s3_bucket.uploads.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Versioning is what replication and AWS Backup for S3 both require.
resource "aws_s3_bucket_versioning" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.primary.arn
    }
    # S3 Bucket Keys: far fewer KMS requests (and KMS charges) per object.
    bucket_key_enabled = true
  }
}

# --- the replica bucket (standby) -------------------------------------------------------------

resource "aws_s3_bucket" "uploads_replica" {
  provider = aws.standby

  bucket = local.replica_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "uploads_replica" {
  provider = aws.standby

  bucket = aws_s3_bucket.uploads_replica.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "uploads_replica" {
  provider = aws.standby

  bucket                  = aws_s3_bucket.uploads_replica.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "uploads_replica" {
  provider = aws.standby

  bucket = aws_s3_bucket.uploads_replica.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "uploads_replica" {
  provider = aws.standby

  bucket = aws_s3_bucket.uploads_replica.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.standby.arn
    }
    bucket_key_enabled = true
  }
}

# --- replication ----------------------------------------------------------------------------

resource "aws_iam_role" "replication" {
  name = "${var.name_prefix}-dr-s3-replication"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# Least privilege: read the source's versions, write replicas into the destination, decrypt with
# the primary key (only through S3 in the primary region) and encrypt with the standby key (only
# through S3 in the standby region).
resource "aws_iam_role_policy" "replication" {
  name = "replicate-uploads"
  role = aws_iam_role.replication.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "SourceBucket"
        Effect   = "Allow"
        Action   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
        Resource = [aws_s3_bucket.uploads.arn]
      },
      {
        Sid      = "SourceObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
        Resource = ["${aws_s3_bucket.uploads.arn}/*"]
      },
      {
        Sid      = "DestinationObjects"
        Effect   = "Allow"
        Action   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        Resource = ["${aws_s3_bucket.uploads_replica.arn}/*"]
      },
      {
        Sid      = "DecryptSource"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [aws_kms_key.primary.arn]
        Condition = {
          StringLike = { "kms:ViaService" = "s3.${var.primary_region}.${data.aws_partition.current.dns_suffix}" }
        }
      },
      {
        Sid      = "EncryptDestination"
        Effect   = "Allow"
        Action   = ["kms:Encrypt", "kms:GenerateDataKey"]
        Resource = [aws_kms_key.standby.arn]
        Condition = {
          StringLike = { "kms:ViaService" = "s3.${var.standby_region}.${data.aws_partition.current.dns_suffix}" }
        }
      },
    ]
  })
}

resource "aws_s3_bucket_replication_configuration" "uploads" {
  role   = aws_iam_role.replication.arn
  bucket = aws_s3_bucket.uploads.id

  rule {
    id     = "uploads-to-${var.standby_region}"
    status = "Enabled"

    # An empty filter = every object (and makes this a V2 rule, which RTC requires).
    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    # The objects are SSE-KMS: without this S3 skips them.
    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = aws_s3_bucket.uploads_replica.arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = aws_kms_key.standby.arn
      }

      # Replication Time Control: the 15-minute replication SLA. It requires the metrics below.
      replication_time {
        status = "Enabled"
        time {
          minutes = 15
        }
      }

      metrics {
        status = "Enabled"
        event_threshold {
          minutes = 15
        }
      }
    }
  }

  # Both buckets must be versioned before S3 accepts a replication configuration.
  depends_on = [aws_s3_bucket_versioning.uploads, aws_s3_bucket_versioning.uploads_replica]
}
