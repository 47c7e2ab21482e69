locals {
  # The plan's rules by name, read back from the planned resource (not from the variables).
  backup_rule_retention = { for r in aws_backup_plan.this.rule : r.rule_name => r.lifecycle[0].delete_after }
}

# What `regami-dr config from-terraform` reads (terraform output -json): the aws: section of
# regami-dr.yaml. Keep the field names: the CLI maps them one to one.
output "regami_dr" {
  description = "The estate as regami-dr's configuration names it (aws: section of regami-dr.yaml)."
  value = {
    account         = data.aws_caller_identity.current.account_id
    allowed_regions = var.allowed_regions
    primary_region  = var.primary_region
    standby_region  = var.standby_region
    route53 = {
      hosted_zone_id = aws_route53_record.primary.zone_id
      record_name    = aws_route53_record.primary.name
      ttl_seconds    = aws_route53_record.primary.ttl
    }
    health_check = {
      request_interval_seconds = aws_route53_health_check.primary.request_interval
      failure_threshold        = aws_route53_health_check.primary.failure_threshold
      path                     = aws_route53_health_check.primary.resource_path
    }
    sns = {
      sev1 = aws_sns_topic.severity["sev1"].arn
      sev2 = aws_sns_topic.severity["sev2"].arn
      sev3 = aws_sns_topic.severity["sev3"].arn
      # The sev1 topic in us-east-1: a CloudWatch alarm may only notify a topic in its own region,
      # and Route 53's HealthCheckStatus (the "primary unhealthy" alarm) lives there.
      route53_alarm = aws_sns_topic.sev1_us_east_1.arn
    }
    regions = {
      (var.primary_region) = {
        db_instance          = aws_db_instance.primary.identifier
        kms_key_id           = aws_kms_key.primary.arn
        db_security_groups   = [aws_security_group.db_primary.id]
        fence_security_group = aws_security_group.fence_primary.id
        ecs_cluster          = aws_ecs_cluster.primary.name
        ecs_service          = aws_ecs_service.primary.name
        load_balancer        = aws_lb.primary.dns_name
        health_check_id      = aws_route53_health_check.primary.id
        uploads_bucket       = aws_s3_bucket.uploads.bucket
      }
      (var.standby_region) = {
        db_instance          = aws_db_instance.replica.identifier
        kms_key_id           = aws_kms_key.standby.arn
        db_security_groups   = [aws_security_group.db_standby.id]
        fence_security_group = aws_security_group.fence_standby.id
        ecs_cluster          = aws_ecs_cluster.standby.name
        ecs_service          = aws_ecs_service.standby.name
        load_balancer        = aws_lb.standby.dns_name
        health_check_id      = aws_route53_health_check.standby.id
        uploads_bucket       = aws_s3_bucket.uploads_replica.bucket
      }
    }
    backup = {
      daily_retention_days      = local.backup_rule_retention["daily"]
      compliance_retention_days = local.backup_rule_retention["compliance"]
      monthly_retention_days    = local.backup_rule_retention["monthly"]
      copy_region               = var.standby_region
      plan_id                   = aws_backup_plan.this.id
    }
    database = {
      instance_class       = aws_db_instance.primary.instance_class
      allocated_storage_gb = aws_db_instance.primary.allocated_storage
      engine_version       = aws_db_instance.primary.engine_version
    }
  }
}

# Not in regami_dr: the us-east-1 sev1 topic, the only one the "primary unhealthy" alarm may
# notify (a CloudWatch alarm's SNS action must be in the alarm's region).
output "route53_alarm_topic_arn" {
  description = "The sev1 topic in us-east-1 that regami-dr-primary-unhealthy notifies (subscribe the sev1 pager to it as well)."
  value       = aws_sns_topic.sev1_us_east_1.arn
}

output "alarm_names" {
  description = "The plan's CloudWatch alarms and their regions."
  value = {
    (aws_cloudwatch_metric_alarm.primary_unhealthy.alarm_name) = "us-east-1"
    (aws_cloudwatch_metric_alarm.replica_lag.alarm_name)       = var.standby_region
  }
}

output "uploads_buckets" {
  description = "The uploads bucket and its cross-region replica."
  value = {
    primary = aws_s3_bucket.uploads.bucket
    replica = aws_s3_bucket.uploads_replica.bucket
  }
}

output "database_endpoints" {
  description = "The endpoints of the primary and of the read replica (each region's app uses its own)."
  value = {
    (var.primary_region) = aws_db_instance.primary.address
    (var.standby_region) = aws_db_instance.replica.address
  }
}

output "master_user_secret_arn" {
  description = "The Secrets Manager secret RDS keeps the master password in."
  value       = try(aws_db_instance.primary.master_user_secret[0].secret_arn, null)
}
