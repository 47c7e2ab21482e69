# AWS Backup, on top of RDS's own automated backups (PITR): a vault per region, encrypted with
# the region's key, and one plan in the primary region whose every rule copies its recovery
# point to the standby region's vault, so a lost primary region leaves its backups behind too.
#
#   daily       every day at 03:00 UTC          kept   7 days (primary and copy)
#   compliance  every Sunday at 03:30 UTC       kept  14 days
#   monthly     the 1st of the month, 04:00 UTC kept 365 days
#
# Selected: the RDS primary and the uploads bucket.

locals {
  backup_rules = {
    daily = {
      schedule       = "cron(0 3 * * ? *)"
      retention_days = var.backup_daily_retention_days
    }
    compliance = {
      schedule       = "cron(30 3 ? * SUN *)"
      retention_days = var.backup_compliance_retention_days
    }
    monthly = {
      schedule       = "cron(0 4 1 * ? *)"
      retention_days = var.backup_monthly_retention_days
    }
  }
}

resource "aws_backup_vault" "primary" {
  name        = "${var.name_prefix}-dr"
  kms_key_arn = aws_kms_key.primary.arn
}

resource "aws_backup_vault" "standby" {
  provider = aws.standby

  name        = "${var.name_prefix}-dr"
  kms_key_arn = aws_kms_key.standby.arn
}

resource "aws_backup_plan" "this" {
  name = "${var.name_prefix}-dr"

  dynamic "rule" {
    for_each = local.backup_rules
    content {
      rule_name         = rule.key
      target_vault_name = aws_backup_vault.primary.name
      schedule          = rule.value.schedule
      start_window      = 60
      completion_window = 240

      # No archive tier (it needs cold storage, which RDS snapshots do not support); said
      # explicitly, since the provider otherwise leaves it to AWS.
      lifecycle {
        delete_after                              = rule.value.retention_days
        opt_in_to_archive_for_supported_resources = false
      }

      copy_action {
        destination_vault_arn = aws_backup_vault.standby.arn
        lifecycle {
          delete_after                              = rule.value.retention_days
          opt_in_to_archive_for_supported_resources = false
        }
      }
    }
  }
}

resource "aws_iam_role" "backup" {
  name = "${var.name_prefix}-dr-backup"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "backup.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# AWS's managed policies for AWS Backup: backup and restore of RDS (and the other services), and
# of S3, which has policies of its own.
resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset([
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
  ])

  role       = aws_iam_role.backup.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/${each.key}"
}

resource "aws_backup_selection" "this" {
  name         = "${var.name_prefix}-dr"
  plan_id      = aws_backup_plan.this.id
  iam_role_arn = aws_iam_role.backup.arn
  resources = [
    aws_db_instance.primary.arn,
    aws_s3_bucket.uploads.arn,
  ]
}
