# The written DR plan's numbers, asserted on the planned resources. Offline: every provider
# configuration is mocked, and the mocks' values are used at plan time (override_during = plan)
# so ARNs, ids and DNS names are known and look like the real thing: that lets the tests check
# not only literals but the wiring (the replica's source is the primary's ARN, the alarm notifies
# the us-east-1 topic, …).

mock_provider "aws" {
  source          = "./tests/mocks/primary"
  override_during = plan
}

mock_provider "aws" {
  alias           = "standby"
  source          = "./tests/mocks/standby"
  override_during = plan
}

mock_provider "aws" {
  alias           = "us_east_1"
  source          = "./tests/mocks/us_east_1"
  override_during = plan
}

# Distinct values where two instances of one resource type must be told apart.
override_resource {
  target          = aws_route53_health_check.primary
  override_during = plan
  values          = { id = "11111111-aaaa-bbbb-cccc-000000000001" }
}

override_resource {
  target          = aws_route53_health_check.standby
  override_during = plan
  values          = { id = "11111111-aaaa-bbbb-cccc-000000000002" }
}

override_resource {
  target          = aws_sns_topic.severity["sev1"]
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-central-1:123456789012:regami-dr-sev1" }
}

override_resource {
  target          = aws_sns_topic.severity["sev2"]
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-central-1:123456789012:regami-dr-sev2" }
}

override_resource {
  target          = aws_sns_topic.severity["sev3"]
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-central-1:123456789012:regami-dr-sev3" }
}

override_resource {
  target          = aws_security_group.db_primary
  override_during = plan
  values          = { id = "sg-0a1b2c3d4e5f60001" }
}

override_resource {
  target          = aws_security_group.app_primary
  override_during = plan
  values          = { id = "sg-0a1b2c3d4e5f6a001" }
}

override_resource {
  target          = aws_security_group.fence_primary
  override_during = plan
  values          = { id = "sg-0a1b2c3d4e5f6fe01" }
}

override_resource {
  target          = aws_security_group.db_standby
  override_during = plan
  values          = { id = "sg-0f1e2d3c4b5a60002" }
}

override_resource {
  target          = aws_security_group.fence_standby
  override_during = plan
  values          = { id = "sg-0f1e2d3c4b5a6fe02" }
}

variables {
  hosted_zone_id             = "Z0123456789REGAMI"
  record_name                = "api.regami.example"
  primary_vpc_id             = "vpc-0a0a0a0a0a0a0a0a0"
  primary_public_subnet_ids  = ["subnet-0a000000000000001", "subnet-0a000000000000002"]
  primary_private_subnet_ids = ["subnet-0a000000000000011", "subnet-0a000000000000012"]
  standby_vpc_id             = "vpc-0b0b0b0b0b0b0b0b0"
  standby_public_subnet_ids  = ["subnet-0b000000000000001", "subnet-0b000000000000002"]
  standby_private_subnet_ids = ["subnet-0b000000000000011", "subnet-0b000000000000012"]
  primary_certificate_arn    = "arn:aws:acm:eu-west-3:123456789012:certificate/aaaaaaaa-1111-2222-3333-444444444444"
  standby_certificate_arn    = "arn:aws:acm:eu-central-1:123456789012:certificate/bbbbbbbb-1111-2222-3333-444444444444"
  container_image            = "123456789012.dkr.ecr.eu-west-3.amazonaws.com/regami-api:1.0.0"
  uploads_bucket_name        = "regami-uploads-test"
  alert_emails               = ["oncall@regami.example"]
}

run "health_checks_https_30s_x3_on_the_db_path" {
  command = plan

  assert {
    condition = alltrue([for hc in [aws_route53_health_check.primary, aws_route53_health_check.standby] :
    hc.type == "HTTPS" && hc.port == 443 && hc.resource_path == "/health?check=db" && hc.request_interval == 30 && hc.failure_threshold == 3])
    error_message = "Both Route 53 health checks must be HTTPS on 443, /health?check=db, every 30 s, 3 failures."
  }

  assert {
    condition     = aws_route53_health_check.primary.fqdn == aws_lb.primary.dns_name && aws_route53_health_check.standby.fqdn == aws_lb.standby.dns_name
    error_message = "Each region's health check must probe that region's load balancer."
  }

  assert {
    condition     = aws_lb_target_group.primary.health_check[0].path == "/health?check=db" && aws_lb_target_group.standby.health_check[0].path == "/health?check=db"
    error_message = "The target groups must probe /health?check=db too."
  }
}

run "failover_records_primary_secondary_ttl_60" {
  command = plan

  assert {
    condition     = aws_route53_record.primary.ttl == 60 && aws_route53_record.standby.ttl == 60
    error_message = "Both failover records must have TTL 60."
  }

  assert {
    condition     = aws_route53_record.primary.failover_routing_policy[0].type == "PRIMARY" && aws_route53_record.standby.failover_routing_policy[0].type == "SECONDARY"
    error_message = "The primary region's record must be PRIMARY and the standby's SECONDARY."
  }

  assert {
    condition = (aws_route53_record.primary.name == "api.regami.example" && aws_route53_record.standby.name == "api.regami.example"
      && aws_route53_record.primary.zone_id == "Z0123456789REGAMI" && aws_route53_record.standby.zone_id == "Z0123456789REGAMI"
    && aws_route53_record.primary.set_identifier != aws_route53_record.standby.set_identifier)
    error_message = "Both records must be the public name in the given zone, with distinct set identifiers."
  }

  assert {
    condition = (aws_route53_record.primary.health_check_id == aws_route53_health_check.primary.id
      && aws_route53_record.standby.health_check_id == aws_route53_health_check.standby.id
    && aws_route53_record.primary.health_check_id != aws_route53_record.standby.health_check_id)
    error_message = "Each failover record must carry its own region's health check."
  }

  assert {
    condition     = aws_route53_record.primary.records == toset([aws_lb.primary.dns_name]) && aws_route53_record.standby.records == toset([aws_lb.standby.dns_name])
    error_message = "Each failover record must point at its region's load balancer."
  }
}

run "alarm_primary_unhealthy" {
  command = plan

  assert {
    condition = (aws_cloudwatch_metric_alarm.primary_unhealthy.alarm_name == "regami-dr-primary-unhealthy"
      && aws_cloudwatch_metric_alarm.primary_unhealthy.namespace == "AWS/Route53"
    && aws_cloudwatch_metric_alarm.primary_unhealthy.metric_name == "HealthCheckStatus")
    error_message = "regami-dr-primary-unhealthy must watch AWS/Route53 HealthCheckStatus."
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.primary_unhealthy.threshold == 1
      && aws_cloudwatch_metric_alarm.primary_unhealthy.comparison_operator == "LessThanThreshold"
      && aws_cloudwatch_metric_alarm.primary_unhealthy.statistic == "Minimum"
      && aws_cloudwatch_metric_alarm.primary_unhealthy.period == 60
    && aws_cloudwatch_metric_alarm.primary_unhealthy.evaluation_periods == 3)
    error_message = "regami-dr-primary-unhealthy must be Minimum < 1 over 60 s, 3 evaluation periods."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.primary_unhealthy.dimensions["HealthCheckId"] == aws_route53_health_check.primary.id
    error_message = "regami-dr-primary-unhealthy must watch the primary's health check."
  }

  assert {
    # The alarm is in us-east-1 (where Route 53's metrics are): its action must be a us-east-1 topic.
    condition = (aws_cloudwatch_metric_alarm.primary_unhealthy.alarm_actions == toset([aws_sns_topic.sev1_us_east_1.arn])
    && startswith(aws_sns_topic.sev1_us_east_1.arn, "arn:aws:sns:us-east-1:"))
    error_message = "regami-dr-primary-unhealthy must notify the sev1 topic of us-east-1."
  }
}

run "alarm_replica_lag" {
  command = plan

  assert {
    condition = (aws_cloudwatch_metric_alarm.replica_lag.alarm_name == "regami-dr-replica-lag"
      && aws_cloudwatch_metric_alarm.replica_lag.namespace == "AWS/RDS"
    && aws_cloudwatch_metric_alarm.replica_lag.metric_name == "ReplicaLag")
    error_message = "regami-dr-replica-lag must watch AWS/RDS ReplicaLag."
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.replica_lag.threshold == 300
      && aws_cloudwatch_metric_alarm.replica_lag.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.replica_lag.statistic == "Average"
      && aws_cloudwatch_metric_alarm.replica_lag.period == 60
    && aws_cloudwatch_metric_alarm.replica_lag.evaluation_periods == 2)
    error_message = "regami-dr-replica-lag must be Average > 300 s over 60 s, 2 evaluation periods."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.replica_lag.dimensions["DBInstanceIdentifier"] == aws_db_instance.replica.identifier
    error_message = "regami-dr-replica-lag must watch the replica."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.replica_lag.alarm_actions == toset([aws_sns_topic.severity["sev2"].arn])
    error_message = "regami-dr-replica-lag must notify the sev2 topic."
  }
}

run "backup_rules_schedules_retention_and_copies" {
  command = plan

  assert {
    condition     = length(aws_backup_plan.this.rule) == 3
    error_message = "The backup plan must have exactly three rules (daily, compliance, monthly)."
  }

  assert {
    condition = anytrue([for r in aws_backup_plan.this.rule :
    r.rule_name == "daily" && r.schedule == "cron(0 3 * * ? *)" && r.lifecycle[0].delete_after == 7])
    error_message = "The daily rule must run at 03:00 UTC and keep 7 days."
  }

  assert {
    condition = anytrue([for r in aws_backup_plan.this.rule :
    r.rule_name == "compliance" && r.schedule == "cron(30 3 ? * SUN *)" && r.lifecycle[0].delete_after == 14])
    error_message = "The compliance rule must run on Sundays at 03:30 UTC and keep 14 days."
  }

  assert {
    condition = anytrue([for r in aws_backup_plan.this.rule :
    r.rule_name == "monthly" && r.schedule == "cron(0 4 1 * ? *)" && r.lifecycle[0].delete_after == 365])
    error_message = "The monthly rule must run on the 1st at 04:00 UTC and keep 365 days."
  }

  assert {
    condition = alltrue([for r in aws_backup_plan.this.rule :
      length(r.copy_action) == 1 && alltrue([for c in r.copy_action :
    c.destination_vault_arn == aws_backup_vault.standby.arn && c.lifecycle[0].delete_after == r.lifecycle[0].delete_after])])
    error_message = "Every backup rule must copy to the standby region's vault with the same retention."
  }

  assert {
    condition     = startswith(aws_backup_vault.standby.arn, "arn:aws:backup:eu-central-1:") && aws_backup_vault.standby.kms_key_arn == aws_kms_key.standby.arn && aws_backup_vault.primary.kms_key_arn == aws_kms_key.primary.arn
    error_message = "Each vault must be encrypted with its own region's key."
  }

  assert {
    condition     = toset(aws_backup_selection.this.resources) == toset([aws_db_instance.primary.arn, aws_s3_bucket.uploads.arn])
    error_message = "The backup selection must hold the RDS primary and the uploads bucket."
  }
}

run "uploads_replication_rtc_15_minutes" {
  command = plan

  assert {
    condition = (aws_s3_bucket_replication_configuration.uploads.rule[0].status == "Enabled"
      && aws_s3_bucket_replication_configuration.uploads.rule[0].destination[0].replication_time[0].status == "Enabled"
    && aws_s3_bucket_replication_configuration.uploads.rule[0].destination[0].replication_time[0].time[0].minutes == 15)
    error_message = "Replication Time Control must be on, 15 minutes."
  }

  assert {
    condition = (aws_s3_bucket_replication_configuration.uploads.rule[0].destination[0].metrics[0].status == "Enabled"
    && aws_s3_bucket_replication_configuration.uploads.rule[0].destination[0].metrics[0].event_threshold[0].minutes == 15)
    error_message = "Replication metrics must be on (threshold 15 minutes)."
  }

  assert {
    condition = (aws_s3_bucket_replication_configuration.uploads.rule[0].destination[0].bucket == aws_s3_bucket.uploads_replica.arn
      && aws_s3_bucket_replication_configuration.uploads.rule[0].destination[0].encryption_configuration[0].replica_kms_key_id == aws_kms_key.standby.arn
    && aws_s3_bucket_replication_configuration.uploads.rule[0].source_selection_criteria[0].sse_kms_encrypted_objects[0].status == "Enabled")
    error_message = "The uploads must replicate, SSE-KMS objects included, to the standby bucket under the standby key."
  }

  assert {
    condition     = aws_s3_bucket_versioning.uploads.versioning_configuration[0].status == "Enabled" && aws_s3_bucket_versioning.uploads_replica.versioning_configuration[0].status == "Enabled"
    error_message = "Both buckets must be versioned."
  }

  assert {
    condition = alltrue([for b in [aws_s3_bucket_public_access_block.uploads, aws_s3_bucket_public_access_block.uploads_replica] :
    b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "Both buckets must block every kind of public access."
  }

  assert {
    condition     = aws_s3_bucket.uploads_replica.bucket == "regami-uploads-test-eu-central-1"
    error_message = "The replica bucket must default to <uploads>-<standby region>."
  }
}

run "encryption_everywhere" {
  command = plan

  assert {
    condition     = aws_db_instance.primary.storage_encrypted && aws_db_instance.primary.kms_key_id == aws_kms_key.primary.arn
    error_message = "The RDS primary must be encrypted with the primary region's key."
  }

  assert {
    condition     = aws_db_instance.replica.storage_encrypted && aws_db_instance.replica.kms_key_id == aws_kms_key.standby.arn && startswith(aws_db_instance.replica.kms_key_id, "arn:aws:kms:eu-central-1:")
    error_message = "The read replica must be encrypted with the standby region's key."
  }

  assert {
    condition     = aws_kms_key.primary.enable_key_rotation && aws_kms_key.standby.enable_key_rotation
    error_message = "Both KMS keys must rotate."
  }

  assert {
    condition = (one(aws_s3_bucket_server_side_encryption_configuration.uploads.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
      && one(aws_s3_bucket_server_side_encryption_configuration.uploads.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.primary.arn
      && one(aws_s3_bucket_server_side_encryption_configuration.uploads_replica.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    && one(aws_s3_bucket_server_side_encryption_configuration.uploads_replica.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.standby.arn)
    error_message = "Both buckets must be SSE-KMS with their region's key."
  }
}

run "database_primary_and_cross_region_replica" {
  command = plan

  assert {
    condition = (aws_db_instance.primary.engine == "postgres" && aws_db_instance.primary.engine_version == "15"
      && aws_db_instance.primary.instance_class == "db.r6g.large"
    && aws_db_instance.primary.backup_retention_period >= 7 && aws_db_instance.primary.deletion_protection)
    error_message = "The primary must be PostgreSQL 15 on db.r6g.large with ≥ 7 days of automated backups (PITR) and deletion protection."
  }

  assert {
    condition     = aws_db_instance.replica.replicate_source_db == aws_db_instance.primary.arn && aws_db_instance.replica.instance_class == aws_db_instance.primary.instance_class
    error_message = "The replica must replicate the primary by ARN (cross-region) on the same instance class."
  }

  assert {
    condition     = aws_db_instance.replica.db_subnet_group_name == aws_db_subnet_group.standby.name && aws_db_instance.replica.vpc_security_group_ids == toset([aws_security_group.db_standby.id])
    error_message = "The replica must sit in the standby region's subnets behind its serving group."
  }

  assert {
    condition     = aws_db_instance.primary.manage_master_user_password && !aws_db_instance.primary.publicly_accessible
    error_message = "The primary's password must be managed by RDS, and the instance private."
  }
}

run "compute_standby_at_zero" {
  command = plan

  assert {
    condition     = aws_ecs_service.standby.desired_count == 0
    error_message = "The standby's ECS service must start at desired count 0."
  }

  assert {
    condition     = aws_ecs_service.primary.desired_count == 2
    error_message = "The primary's ECS service must start at active_instances (2)."
  }

  assert {
    condition = alltrue([for l in [aws_lb_listener.https_primary, aws_lb_listener.https_standby] : l.port == 443 && l.protocol == "HTTPS"]) && (
    aws_lb_listener.https_primary.certificate_arn == var.primary_certificate_arn && aws_lb_listener.https_standby.certificate_arn == var.standby_certificate_arn)
    error_message = "Both load balancers must listen on HTTPS 443 with their region's certificate."
  }

  assert {
    condition     = aws_ecs_service.primary.launch_type == "FARGATE" && aws_ecs_service.standby.launch_type == "FARGATE"
    error_message = "Both services must run on Fargate."
  }
}

run "fence_groups_have_no_ingress" {
  command = plan

  assert {
    condition     = length(aws_security_group.fence_primary.ingress) == 0 && length(aws_security_group.fence_standby.ingress) == 0
    error_message = "A fence security group must have no ingress rule."
  }

  assert {
    condition = alltrue([for sg in [aws_security_group.db_primary, aws_security_group.db_standby] :
    length(sg.ingress) == 1 && alltrue([for r in sg.ingress : r.from_port == 5432 && r.to_port == 5432 && r.protocol == "tcp" && try(length(r.cidr_blocks), 0) == 0])])
    error_message = "A database (serving) group must admit only PostgreSQL (5432), from security groups, not from CIDRs."
  }

  assert {
    condition     = one(aws_security_group.db_primary.ingress).security_groups == toset([aws_security_group.app_primary.id])
    error_message = "The primary's database group must admit the app's security group."
  }

  assert {
    condition     = toset(aws_db_instance.primary.vpc_security_group_ids) == toset([aws_security_group.db_primary.id]) && !contains(aws_db_instance.primary.vpc_security_group_ids, aws_security_group.fence_primary.id)
    error_message = "The primary must start on its serving group, not on the fence group."
  }
}

run "output_regami_dr" {
  command = plan

  assert {
    condition = (output.regami_dr.account == "123456789012" && output.regami_dr.primary_region == "eu-west-3"
      && output.regami_dr.standby_region == "eu-central-1"
    && length(output.regami_dr.allowed_regions) == 8)
    error_message = "regami_dr: account, regions and allowed_regions."
  }

  assert {
    condition = (output.regami_dr.route53.hosted_zone_id == "Z0123456789REGAMI" && output.regami_dr.route53.record_name == "api.regami.example"
      && output.regami_dr.route53.ttl_seconds == 60
      && output.regami_dr.health_check.request_interval_seconds == 30 && output.regami_dr.health_check.failure_threshold == 3
    && output.regami_dr.health_check.path == "/health?check=db")
    error_message = "regami_dr: route53 and health_check."
  }

  assert {
    condition = (output.regami_dr.sns.sev1 == "arn:aws:sns:eu-central-1:123456789012:regami-dr-sev1"
      && output.regami_dr.sns.sev2 == "arn:aws:sns:eu-central-1:123456789012:regami-dr-sev2"
      && output.regami_dr.sns.sev3 == "arn:aws:sns:eu-central-1:123456789012:regami-dr-sev3"
    && output.regami_dr.sns.route53_alarm == "arn:aws:sns:us-east-1:123456789012:regami-dr-sev1")
    error_message = "regami_dr: sns per severity, and the us-east-1 sev1 topic for the Route 53 alarm."
  }

  assert {
    condition     = keys(output.regami_dr.regions) == ["eu-central-1", "eu-west-3"]
    error_message = "regami_dr: regions must be keyed by the region names."
  }

  assert {
    condition = (output.regami_dr.regions["eu-west-3"].db_instance == "regami-db"
      && output.regami_dr.regions["eu-west-3"].kms_key_id == "arn:aws:kms:eu-west-3:123456789012:key/11111111-aaaa-bbbb-cccc-000000000001"
      && output.regami_dr.regions["eu-west-3"].db_security_groups == ["sg-0a1b2c3d4e5f60001"]
      && output.regami_dr.regions["eu-west-3"].fence_security_group == "sg-0a1b2c3d4e5f6fe01"
      && output.regami_dr.regions["eu-west-3"].ecs_cluster == "regami"
      && output.regami_dr.regions["eu-west-3"].ecs_service == "regami-api"
      && output.regami_dr.regions["eu-west-3"].load_balancer == "regami-eu-west-3-1234567890.eu-west-3.elb.amazonaws.com"
      && output.regami_dr.regions["eu-west-3"].health_check_id == "11111111-aaaa-bbbb-cccc-000000000001"
    && output.regami_dr.regions["eu-west-3"].uploads_bucket == aws_s3_bucket.uploads.bucket)
    error_message = "regami_dr: the primary region's names."
  }

  assert {
    condition = (output.regami_dr.regions["eu-central-1"].db_instance == "regami-db"
      && output.regami_dr.regions["eu-central-1"].kms_key_id == "arn:aws:kms:eu-central-1:123456789012:key/22222222-aaaa-bbbb-cccc-000000000002"
      && output.regami_dr.regions["eu-central-1"].db_security_groups == ["sg-0f1e2d3c4b5a60002"]
      && output.regami_dr.regions["eu-central-1"].fence_security_group == "sg-0f1e2d3c4b5a6fe02"
      && output.regami_dr.regions["eu-central-1"].ecs_cluster == "regami"
      && output.regami_dr.regions["eu-central-1"].ecs_service == "regami-api"
      && output.regami_dr.regions["eu-central-1"].load_balancer == "regami-eu-central-1-1234567890.eu-central-1.elb.amazonaws.com"
      && output.regami_dr.regions["eu-central-1"].health_check_id == "11111111-aaaa-bbbb-cccc-000000000002"
    && output.regami_dr.regions["eu-central-1"].uploads_bucket == aws_s3_bucket.uploads_replica.bucket)
    error_message = "regami_dr: the standby region's names."
  }

  assert {
    condition = (output.regami_dr.backup.daily_retention_days == 7 && output.regami_dr.backup.compliance_retention_days == 14
      && output.regami_dr.backup.monthly_retention_days == 365 && output.regami_dr.backup.copy_region == "eu-central-1"
      && output.regami_dr.database.instance_class == "db.r6g.large" && output.regami_dr.database.allocated_storage_gb == 100
    && output.regami_dr.database.engine_version == "15")
    error_message = "regami_dr: backup and database."
  }
}

run "active_instances_sets_the_primary_only" {
  command = plan

  variables {
    active_instances = 4
  }

  assert {
    condition     = aws_ecs_service.primary.desired_count == 4 && aws_ecs_service.standby.desired_count == 0
    error_message = "active_instances must size the primary only; the standby stays at 0."
  }
}
