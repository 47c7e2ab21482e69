# Mock values of the "primary" AWS provider configuration (terraform test, offline): ARNs, ids and
# DNS names shaped like the real ones, so that values the provider validates (ARNs) pass and
# plan-time assertions can compare the wiring. Used with override_during = plan.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/terraform-test"
    user_id    = "AIDATERRAFORMTEST"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-3:123456789012:key/11111111-aaaa-bbbb-cccc-000000000001"
    key_id = "11111111-aaaa-bbbb-cccc-000000000001"
  }
}

mock_resource "aws_db_instance" {
  defaults = {
    arn     = "arn:aws:rds:eu-west-3:123456789012:db:regami-db"
    address = "regami-db.c0ffee.eu-west-3.rds.amazonaws.com"
  }
}

mock_resource "aws_lb" {
  defaults = {
    arn      = "arn:aws:elasticloadbalancing:eu-west-3:123456789012:loadbalancer/app/regami-eu-west-3/0123456789abcdef"
    dns_name = "regami-eu-west-3-1234567890.eu-west-3.elb.amazonaws.com"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/regami-api-eu-west-3/0123456789abcdef"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::regami-uploads-test"
  }
}

mock_resource "aws_backup_vault" {
  defaults = {
    arn = "arn:aws:backup:eu-west-3:123456789012:backup-vault:regami-dr"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/regami-dr-test"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:eu-west-3:123456789012:cluster/regami"
  }
}

mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn = "arn:aws:ecs:eu-west-3:123456789012:task-definition/regami-api:1"
  }
}
