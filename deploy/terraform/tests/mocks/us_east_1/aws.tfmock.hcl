# Mock values of the "us_east_1" AWS provider configuration (terraform test, offline): ARNs, ids and
# DNS names shaped like the real ones, so that values the provider validates (ARNs) pass and
# plan-time assertions can compare the wiring. Used with override_during = plan.

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:us-east-1:123456789012:regami-dr-sev1"
  }
}
