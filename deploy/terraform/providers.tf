# Three configurations of the AWS provider:
#
# - the default one, in the primary region (everything of the primary region, plus the global
#   services IAM and Route 53, whose API endpoint does not depend on the region);
# - "standby", in the standby region (the read replica, the standby's compute, the replica
#   bucket, the copy vault, the SNS topics);
# - "us_east_1": Route 53 publishes its health checks' metrics (AWS/Route53 HealthCheckStatus)
#   only in us-east-1, so the "primary unhealthy" alarm must be created there, and a CloudWatch
#   alarm can only notify an SNS topic of its own region. Nothing else lives in us-east-1: the
#   alarm and its topic hold no application data, so the EU residency rule is not at stake.

locals {
  default_tags = merge(var.tags, {
    "regami-dr:plan" = var.name_prefix
  })
}

provider "aws" {
  region = var.primary_region

  default_tags {
    tags = local.default_tags
  }
}

provider "aws" {
  alias  = "standby"
  region = var.standby_region

  default_tags {
    tags = local.default_tags
  }
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = local.default_tags
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
