# The RDS PostgreSQL primary and its encrypted cross-region read replica.
#
# Drift regami-dr creates on purpose, and that Terraform must not undo (ignore_changes below):
# - vpc_security_group_ids: fencing moves an instance onto the fence group; an apply that moved it
#   back would unfence a database behind the runbook's back. Unfencing is a runbook step.
# - the regami-dr:* tags: the runbooks record on the instance when it was fenced, which groups it
#   served through (to restore them) and when it was promoted.
# - replicate_source_db (replica): a failover promotes the replica, which then has no source.
# After a failover or a failback the estate no longer matches this configuration's roles: see
# README.md, "After a failover".

resource "aws_db_subnet_group" "primary" {
  name        = "${var.db_instance_identifier}-${var.primary_region}"
  description = "${var.db_instance_identifier}: private subnets of ${var.primary_region}"
  subnet_ids  = var.primary_private_subnet_ids
}

resource "aws_db_subnet_group" "standby" {
  provider = aws.standby

  name        = "${var.db_instance_identifier}-${var.standby_region}"
  description = "${var.db_instance_identifier}: private subnets of ${var.standby_region}"
  subnet_ids  = var.standby_private_subnet_ids
}

resource "aws_db_instance" "primary" {
  identifier     = var.db_instance_identifier
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage_gb
  max_allocated_storage = var.db_max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.primary.arn

  db_name                       = var.db_name
  username                      = var.db_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.primary.arn

  db_subnet_group_name   = aws_db_subnet_group.primary.name
  vpc_security_group_ids = [aws_security_group.db_primary.id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az

  # Automated backups are what gives point-in-time recovery (to any second of the retention
  # window). The window sits before AWS Backup's 03:00 job so the two do not collide.
  backup_retention_period = var.db_backup_retention_days
  backup_window           = "01:00-01:30"
  maintenance_window      = "sun:05:00-sun:05:30"
  copy_tags_to_snapshot   = true

  auto_minor_version_upgrade      = true
  allow_major_version_upgrade     = false
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = false
  final_snapshot_identifier       = "${var.db_instance_identifier}-final"
  enabled_cloudwatch_logs_exports = ["postgresql"]

  lifecycle {
    ignore_changes = [
      vpc_security_group_ids,
      tags["regami-dr:fenced-at"],
      tags["regami-dr:serving-security-groups"],
      tags["regami-dr:promoted-at"],
    ]
  }
}

# The encrypted cross-region read replica. A cross-region replica names its source by ARN, and
# needs a DB subnet group and a KMS key of its own region (KMS keys do not cross regions: RDS
# re-encrypts the stream with the standby key). Engine, version, database name and user come
# from the source.
resource "aws_db_instance" "replica" {
  provider = aws.standby

  identifier          = var.db_instance_identifier
  replicate_source_db = aws_db_instance.primary.arn
  instance_class      = var.db_instance_class

  storage_type          = "gp3"
  max_allocated_storage = var.db_max_allocated_storage_gb
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.standby.arn

  db_subnet_group_name   = aws_db_subnet_group.standby.name
  vpc_security_group_ids = [aws_security_group.db_standby.id]
  publicly_accessible    = false

  # Backups on the replica too: a promoted replica then has PITR from its first minute as primary.
  backup_retention_period = var.db_backup_retention_days
  backup_window           = "01:00-01:30"
  maintenance_window      = "sun:05:30-sun:06:00"
  copy_tags_to_snapshot   = true

  auto_minor_version_upgrade = true
  deletion_protection        = var.deletion_protection
  # RDS takes no final snapshot of a read replica (the primary's backups cover the data).
  skip_final_snapshot             = true
  enabled_cloudwatch_logs_exports = ["postgresql"]

  lifecycle {
    ignore_changes = [
      replicate_source_db,
      vpc_security_group_ids,
      tags["regami-dr:fenced-at"],
      tags["regami-dr:serving-security-groups"],
      tags["regami-dr:promoted-at"],
    ]
  }
}
