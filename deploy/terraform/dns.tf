# Route 53: one health check per region on the region's load balancer, and PRIMARY/SECONDARY
# failover records for the public name. Route 53 answers with the PRIMARY record while its health
# check is healthy, else with the SECONDARY. Detection takes request_interval × failure_threshold
# (30 s × 3 = 90 s); clients then follow within the TTL (60 s).
#
# Route 53 is a global service: these resources go through the default (primary region) provider.
#
# regami-dr's routing control inverts a region's health check
# (route53 update-health-check --inverted): an inverted check reads unhealthy, so Route 53 answers
# with the other record. invert_healthcheck is therefore ignored: an apply during or after a
# failover must not silently send traffic back to the fenced region.

resource "aws_route53_health_check" "primary" {
  type              = "HTTPS"
  fqdn              = aws_lb.primary.dns_name
  port              = 443
  resource_path     = var.health_check_path
  request_interval  = var.health_check_request_interval
  failure_threshold = var.health_check_failure_threshold
  enable_sni        = true
  measure_latency   = false

  tags = {
    Name = "${var.name_prefix}-${var.primary_region}"
  }

  lifecycle {
    ignore_changes = [invert_healthcheck]
  }
}

resource "aws_route53_health_check" "standby" {
  type              = "HTTPS"
  fqdn              = aws_lb.standby.dns_name
  port              = 443
  resource_path     = var.health_check_path
  request_interval  = var.health_check_request_interval
  failure_threshold = var.health_check_failure_threshold
  enable_sni        = true
  measure_latency   = false

  tags = {
    Name = "${var.name_prefix}-${var.standby_region}"
  }

  lifecycle {
    ignore_changes = [invert_healthcheck]
  }
}

# CNAME records, not aliases: an alias record has no TTL of its own, and the plan fixes the TTL
# (it counts in the RTO). A CNAME cannot sit at the zone apex, hence record_name is a sub-name.
resource "aws_route53_record" "primary" {
  zone_id         = var.hosted_zone_id
  name            = var.record_name
  type            = "CNAME"
  ttl             = var.dns_ttl_seconds
  records         = [aws_lb.primary.dns_name]
  set_identifier  = "${var.primary_region}-primary"
  health_check_id = aws_route53_health_check.primary.id

  failover_routing_policy {
    type = "PRIMARY"
  }
}

resource "aws_route53_record" "standby" {
  zone_id         = var.hosted_zone_id
  name            = var.record_name
  type            = "CNAME"
  ttl             = var.dns_ttl_seconds
  records         = [aws_lb.standby.dns_name]
  set_identifier  = "${var.standby_region}-secondary"
  health_check_id = aws_route53_health_check.standby.id

  failover_routing_policy {
    type = "SECONDARY"
  }
}
