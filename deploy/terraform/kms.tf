# One customer-managed KMS key per region. A KMS key never leaves its region, so everything
# encrypted in the standby region (the read replica, the replica bucket, the backup copies) needs
# a key of its own there; regami-dr also uses the standby key when failback rebuilds a replica
# (aws.regions.<region>.kmsKeyId). The default key policy (the account administers the key, IAM
# policies grant its use) is what RDS, S3 and AWS Backup need.

resource "aws_kms_key" "primary" {
  description             = "${var.name_prefix} DR plan: database, uploads and backups in ${var.primary_region}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "primary" {
  name          = "alias/${var.name_prefix}-dr"
  target_key_id = aws_kms_key.primary.key_id
}

resource "aws_kms_key" "standby" {
  provider = aws.standby

  description             = "${var.name_prefix} DR plan: read replica, uploads replica and backup copies in ${var.standby_region}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "standby" {
  provider = aws.standby

  name          = "alias/${var.name_prefix}-dr"
  target_key_id = aws_kms_key.standby.key_id
}
