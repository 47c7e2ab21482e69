# The variables' validations: the residency rule (primary and standby inside allowed_regions,
# and in two different regions) and the plan's minimums. Each run changes one input and expects
# exactly that variable's validation to fail.

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
}

run "rejects_primary_outside_allowed_regions" {
  command = plan

  variables {
    primary_region = "us-east-1"
  }

  expect_failures = [var.primary_region]
}

run "rejects_standby_outside_allowed_regions" {
  command = plan

  variables {
    standby_region = "us-west-2"
  }

  expect_failures = [var.standby_region]
}

run "rejects_standby_in_the_primary_region" {
  command = plan

  variables {
    primary_region = "eu-west-3"
    standby_region = "eu-west-3"
  }

  expect_failures = [var.standby_region]
}

run "accepts_another_residency_rule" {
  # allowed_regions is an input: a non-EU deployment widens it explicitly.
  command = plan

  variables {
    allowed_regions = ["us-east-2", "us-west-2"]
    primary_region  = "us-east-2"
    standby_region  = "us-west-2"
  }

  assert {
    condition     = output.regami_dr.primary_region == "us-east-2" && output.regami_dr.standby_region == "us-west-2" && output.regami_dr.backup.copy_region == "us-west-2"
    error_message = "A residency rule given in allowed_regions must be honoured."
  }
}

run "rejects_backup_retention_under_7_days" {
  command = plan

  variables {
    db_backup_retention_days = 3
  }

  expect_failures = [var.db_backup_retention_days]
}

run "rejects_a_route53_request_interval_other_than_10_or_30" {
  command = plan

  variables {
    health_check_request_interval = 20
  }

  expect_failures = [var.health_check_request_interval]
}

run "rejects_a_single_subnet_for_the_database" {
  command = plan

  variables {
    standby_private_subnet_ids = ["subnet-0b000000000000011"]
  }

  expect_failures = [var.standby_private_subnet_ids]
}
