# SNS topics per severity and the plan's two CloudWatch alarms.
#
# Where the topics live: in the STANDBY region. A topic in the region that fails cannot tell
# you that it failed: regami-dr publishes its sev1 alerts (failover started, fencing, promotion)
# precisely while the primary region is out, so its topics sit in the region the failover goes
# to. The replica-lag alarm lives there too (it watches the replica), and a CloudWatch alarm can
# only notify a topic of its own region.
#
# The "primary unhealthy" alarm must live in us-east-1, the only region where Route 53 publishes
# HealthCheckStatus; its action therefore needs a sev1 topic in us-east-1 as well
# (aws_sns_topic.sev1_us_east_1). It carries only the alarm's notification. Both sev1 topics get
# the same subscriptions (SNS cannot subscribe a topic to another topic).
#
# The alarms' names are fixed: `regami-dr aws apply-alarms`, `aws alarms` and `status` look them
# up by these names.

locals {
  severities = ["sev1", "sev2", "sev3"]

  # Every (topic, e-mail) pair: the three standby topics and the us-east-1 sev1 topic.
  alert_subscriptions = { for pair in setproduct(local.severities, var.alert_emails) : "${pair[0]}/${pair[1]}" => { severity = pair[0], email = pair[1] } }
}

resource "aws_sns_topic" "severity" {
  provider = aws.standby
  for_each = toset(local.severities)

  name         = "${var.name_prefix}-dr-${each.key}"
  display_name = "${var.name_prefix} DR ${each.key}"
}

resource "aws_sns_topic" "sev1_us_east_1" {
  provider = aws.us_east_1

  name         = "${var.name_prefix}-dr-sev1"
  display_name = "${var.name_prefix} DR sev1"
}

resource "aws_sns_topic_subscription" "severity" {
  provider = aws.standby
  for_each = local.alert_subscriptions

  topic_arn = aws_sns_topic.severity[each.value.severity].arn
  protocol  = "email"
  endpoint  = each.value.email
}

resource "aws_sns_topic_subscription" "sev1_us_east_1" {
  provider = aws.us_east_1
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.sev1_us_east_1.arn
  protocol  = "email"
  endpoint  = each.value
}

# Sev1: the primary fails its Route 53 health check for 3 minutes. Missing data counts as
# breaching: a check that stops reporting is no proof of health.
resource "aws_cloudwatch_metric_alarm" "primary_unhealthy" {
  provider = aws.us_east_1

  alarm_name        = "regami-dr-primary-unhealthy"
  alarm_description = "Sev1: the primary region (${var.primary_region}) fails its Route 53 health check (regami-dr plan)"
  namespace         = "AWS/Route53"
  metric_name       = "HealthCheckStatus"
  dimensions = {
    HealthCheckId = aws_route53_health_check.primary.id
  }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.sev1_us_east_1.arn]
  ok_actions          = [aws_sns_topic.sev1_us_east_1.arn]
}

# Sev2: the replica is more than the RPO (300 s) behind. Missing data is left missing: RDS stops
# publishing ReplicaLag once the replica is promoted, which is no lag.
resource "aws_cloudwatch_metric_alarm" "replica_lag" {
  provider = aws.standby

  alarm_name        = "regami-dr-replica-lag"
  alarm_description = "Sev2: the read replica in ${var.standby_region} is more than the RPO (${var.replica_lag_threshold_seconds} s) behind (regami-dr plan)"
  namespace         = "AWS/RDS"
  metric_name       = "ReplicaLag"
  dimensions = {
    DBInstanceIdentifier = aws_db_instance.replica.identifier
  }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.replica_lag_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.severity["sev2"].arn]
  ok_actions          = [aws_sns_topic.severity["sev2"].arn]
}
