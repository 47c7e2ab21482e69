terraform {
  # >= 1.9, not 1.7: the region validations compare one variable with another
  # (primary_region against allowed_regions, standby_region against primary_region),
  # which Terraform allows in a variable's validation block only from 1.9 on.
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
