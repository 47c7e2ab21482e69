# Mock values of the "standby" AWS provider configuration (terraform test, offline): ARNs, ids and
# DNS names shaped like the real ones, so that values the provider validates (ARNs) pass and
# plan-time assertions can compare the wiring. Used with override_during = plan.

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-central-1:123456789012:key/22222222-aaaa-bbbb-cccc-000000000002"
    key_id = "22222222-aaaa-bbbb-cccc-000000000002"
  }
}

mock_resource "aws_db_instance" {
  defaults = {
    arn     = "arn:aws:rds:eu-central-1:123456789012:db:regami-db"
    address = "regami-db.c0ffee.eu-central-1.rds.amazonaws.com"
  }
}

mock_resource "aws_lb" {
  defaults = {
    arn      = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/regami-eu-central-1/0123456789abcdef"
    dns_name = "regami-eu-central-1-1234567890.eu-central-1.elb.amazonaws.com"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/regami-api-eu-central-1/0123456789abcdef"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::regami-uploads-test-eu-central-1"
  }
}

mock_resource "aws_backup_vault" {
  defaults = {
    arn = "arn:aws:backup:eu-central-1:123456789012:backup-vault:regami-dr"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-central-1:123456789012:regami-dr-sevN"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:eu-central-1:123456789012:cluster/regami"
  }
}

mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn = "arn:aws:ecs:eu-central-1:123456789012:task-definition/regami-api:1"
  }
}
