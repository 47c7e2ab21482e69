# ---------------------------------------------------------------------------------------------
# Regions and residency
# ---------------------------------------------------------------------------------------------

variable "allowed_regions" {
  description = "The residency rule: the regions the primary and the standby may be in (regami-dr's aws.allowedRegions). Default: the EU regions."
  type        = list(string)
  default     = ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2"]

  validation {
    condition     = length(var.allowed_regions) >= 2
    error_message = "allowed_regions must list at least two regions: the primary and the standby must differ."
  }

  validation {
    condition     = alltrue([for r in var.allowed_regions : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", r))])
    error_message = "allowed_regions must contain AWS region names such as eu-west-3."
  }
}

variable "primary_region" {
  description = "The region serving traffic (the RDS primary, the active ECS service, the PRIMARY failover record)."
  type        = string
  default     = "eu-west-3"

  validation {
    condition     = contains(var.allowed_regions, var.primary_region)
    error_message = "primary_region is not in allowed_regions (the residency rule); allowed: ${join(", ", var.allowed_regions)}."
  }
}

variable "standby_region" {
  description = "The region on standby (the encrypted cross-region read replica, the ECS service at desired count 0, the SECONDARY failover record)."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = contains(var.allowed_regions, var.standby_region)
    error_message = "standby_region is not in allowed_regions (the residency rule); allowed: ${join(", ", var.allowed_regions)}."
  }

  validation {
    # A standby in the primary's region does not survive the primary region's outage.
    condition     = var.standby_region != var.primary_region
    error_message = "standby_region must differ from primary_region: a standby in the same region does not survive that region's outage."
  }
}

variable "name_prefix" {
  description = "Prefix of the resources' names (ECS cluster, load balancers, roles, vaults, topics). Lower case letters, digits and hyphens."
  type        = string
  default     = "regami"

  validation {
    # Load balancer names are at most 32 characters: prefix + "-" + the longest region name (14).
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.name_prefix))
    error_message = "name_prefix must be 2 to 12 characters: a lower-case letter, then lower-case letters, digits or hyphens."
  }
}

variable "tags" {
  description = "Tags added to every resource (through the providers' default_tags)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# Networks (the module does not create VPCs)
# ---------------------------------------------------------------------------------------------

variable "primary_vpc_id" {
  description = "The VPC of the primary region."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.primary_vpc_id))
    error_message = "primary_vpc_id must be a VPC id (vpc-…)."
  }
}

variable "primary_public_subnet_ids" {
  description = "Public subnets of the primary VPC, in at least two availability zones: the load balancer's."
  type        = list(string)

  validation {
    condition     = length(var.primary_public_subnet_ids) >= 2 && alltrue([for s in var.primary_public_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "primary_public_subnet_ids must list at least two subnet ids (subnet-…) in different availability zones (an ALB needs two)."
  }
}

variable "primary_private_subnet_ids" {
  description = "Private subnets of the primary VPC, in at least two availability zones: the ECS tasks' and the database's."
  type        = list(string)

  validation {
    condition     = length(var.primary_private_subnet_ids) >= 2 && alltrue([for s in var.primary_private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "primary_private_subnet_ids must list at least two subnet ids (subnet-…) in different availability zones (a DB subnet group needs two)."
  }
}

variable "standby_vpc_id" {
  description = "The VPC of the standby region."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.standby_vpc_id))
    error_message = "standby_vpc_id must be a VPC id (vpc-…)."
  }
}

variable "standby_public_subnet_ids" {
  description = "Public subnets of the standby VPC, in at least two availability zones: the load balancer's."
  type        = list(string)

  validation {
    condition     = length(var.standby_public_subnet_ids) >= 2 && alltrue([for s in var.standby_public_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "standby_public_subnet_ids must list at least two subnet ids (subnet-…) in different availability zones (an ALB needs two)."
  }
}

variable "standby_private_subnet_ids" {
  description = "Private subnets of the standby VPC, in at least two availability zones: the ECS tasks' and the read replica's."
  type        = list(string)

  validation {
    condition     = length(var.standby_private_subnet_ids) >= 2 && alltrue([for s in var.standby_private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "standby_private_subnet_ids must list at least two subnet ids (subnet-…) in different availability zones (a DB subnet group needs two)."
  }
}

# ---------------------------------------------------------------------------------------------
# DNS and health checks
# ---------------------------------------------------------------------------------------------

variable "hosted_zone_id" {
  description = "The Route 53 hosted zone of the public name (the id, without /hostedzone/)."
  type        = string

  validation {
    condition     = can(regex("^Z[0-9A-Z]+$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be a Route 53 hosted zone id such as Z0123456789ABC (without /hostedzone/)."
  }
}

variable "record_name" {
  description = "The public name (e.g. api.regami.example) that gets the PRIMARY and SECONDARY failover records. Not the zone apex: the records are CNAMEs."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9_]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}\\.?$", var.record_name))
    error_message = "record_name must be a lower-case DNS name such as api.regami.example."
  }
}

variable "dns_ttl_seconds" {
  description = "TTL of the failover records: resolvers may keep the failed region's answer this long after the switch (it counts in the RTO)."
  type        = number
  default     = 60

  validation {
    condition     = var.dns_ttl_seconds >= 1 && var.dns_ttl_seconds <= 300
    error_message = "dns_ttl_seconds must be between 1 and 300 (the plan: 60; it adds to the RTO)."
  }
}

variable "health_check_path" {
  description = "The path Route 53 and the target groups probe; ?check=db makes the app answer 200 only when it can reach its database."
  type        = string
  default     = "/health?check=db"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "health_check_request_interval" {
  description = "Seconds between two Route 53 health-check requests (Route 53 accepts only 10 or 30)."
  type        = number
  default     = 30

  validation {
    condition     = contains([10, 30], var.health_check_request_interval)
    error_message = "health_check_request_interval must be 10 or 30 (the values Route 53 accepts; the plan: 30)."
  }
}

variable "health_check_failure_threshold" {
  description = "Consecutive failed Route 53 checks before a region is unhealthy (detection = interval × threshold)."
  type        = number
  default     = 3

  validation {
    condition     = var.health_check_failure_threshold >= 1 && var.health_check_failure_threshold <= 10
    error_message = "health_check_failure_threshold must be between 1 and 10 (the plan: 3)."
  }
}

# ---------------------------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------------------------

variable "primary_certificate_arn" {
  description = "ACM certificate of the primary region's HTTPS listener (an ACM certificate must be in the load balancer's region)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.primary_certificate_arn))
    error_message = "primary_certificate_arn must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/…)."
  }
}

variable "standby_certificate_arn" {
  description = "ACM certificate of the standby region's HTTPS listener (in the standby region)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.standby_certificate_arn))
    error_message = "standby_certificate_arn must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/…)."
  }
}

variable "container_image" {
  description = "The application's container image (e.g. 123456789012.dkr.ecr.eu-west-3.amazonaws.com/regami-api:1.4.2). Both regions run it: make it pullable from the standby region (ECR replication) so a failover does not depend on the failed region."
  type        = string

  validation {
    condition     = length(trimspace(var.container_image)) > 0
    error_message = "container_image must not be empty."
  }
}

variable "container_port" {
  description = "The port the application listens on inside its container."
  type        = number
  default     = 8080

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535
    error_message = "container_port must be a TCP port (1-65535)."
  }
}

variable "task_cpu" {
  description = "Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192 or 16384)."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.task_cpu)
    error_message = "task_cpu must be one of Fargate's CPU sizes: 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "task_memory" {
  description = "Fargate task memory (MiB); must suit task_cpu."
  type        = number
  default     = 1024

  validation {
    condition     = var.task_memory >= 512 && var.task_memory <= 122880
    error_message = "task_memory must be between 512 and 122880 MiB."
  }
}

variable "active_instances" {
  description = "Desired ECS tasks in the serving region (regami-dr's compute.activeInstances). The standby runs 0."
  type        = number
  default     = 2

  validation {
    condition     = var.active_instances >= 1 && floor(var.active_instances) == var.active_instances
    error_message = "active_instances must be a whole number of at least 1."
  }
}

# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------

variable "db_instance_identifier" {
  description = "RDS instance identifier of the primary and of its read replica (the same identifier may be used in both regions)."
  type        = string
  default     = "regami-db"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.db_instance_identifier)) && !endswith(var.db_instance_identifier, "-") && !strcontains(var.db_instance_identifier, "--")
    error_message = "db_instance_identifier must be 1 to 63 lower-case letters, digits or hyphens, start with a letter, and neither end with a hyphen nor contain two in a row."
  }
}

variable "db_engine_version" {
  description = "PostgreSQL engine version; a major version (\"15\") lets RDS pick its default minor."
  type        = string
  default     = "15"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be a PostgreSQL version such as 15 or 15.7."
  }
}

variable "db_instance_class" {
  description = "RDS instance class of the primary and of the replica (the replica is promoted to serve the same load)."
  type        = string
  default     = "db.r6g.large"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.db_instance_class))
    error_message = "db_instance_class must be an RDS instance class such as db.r6g.large."
  }
}

variable "db_allocated_storage_gb" {
  description = "Allocated storage of the primary (GB, gp3)."
  type        = number
  default     = 100

  validation {
    condition     = var.db_allocated_storage_gb >= 20 && var.db_allocated_storage_gb <= 65536
    error_message = "db_allocated_storage_gb must be between 20 and 65536 (RDS PostgreSQL on gp3)."
  }
}

variable "db_max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling (GB); 0 turns autoscaling off."
  type        = number
  default     = 500

  validation {
    condition     = var.db_max_allocated_storage_gb == 0 || (var.db_max_allocated_storage_gb >= 20 && var.db_max_allocated_storage_gb <= 65536)
    error_message = "db_max_allocated_storage_gb must be 0 (no autoscaling) or between 20 and 65536."
  }
}

variable "db_name" {
  description = "Name of the application's database created on the primary."
  type        = string
  default     = "regami"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must start with a letter and contain only letters, digits and underscores (at most 63)."
  }
}

variable "db_username" {
  description = "Master user name. Its password is generated and kept by RDS in Secrets Manager (manage_master_user_password): never in this configuration nor in the state."
  type        = string
  default     = "regami_admin"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_username)) && !contains(["postgres", "rdsadmin", "admin"], lower(var.db_username))
    error_message = "db_username must start with a letter, contain only letters, digits and underscores, and not be a reserved name (postgres, rdsadmin, admin)."
  }
}

variable "db_multi_az" {
  description = "Run the primary Multi-AZ (an AZ failure is then handled inside the region, without a regional failover)."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "RDS automated backups kept (days): the point-in-time-recovery window. Also set on the replica so a promoted replica has PITR at once."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 7 (the plan's minimum PITR window) and 35 (RDS's maximum)."
  }
}

variable "deletion_protection" {
  description = "Deletion protection on the database instances (and on the load balancers)."
  type        = bool
  default     = true
}

variable "replica_lag_threshold_seconds" {
  description = "The replica-lag alarm's threshold: the RPO target (seconds)."
  type        = number
  default     = 300

  validation {
    condition     = var.replica_lag_threshold_seconds >= 1 && var.replica_lag_threshold_seconds <= 3600
    error_message = "replica_lag_threshold_seconds must be between 1 and 3600 (the plan's RPO: 300)."
  }
}

# ---------------------------------------------------------------------------------------------
# Uploads bucket
# ---------------------------------------------------------------------------------------------

variable "uploads_bucket_name" {
  description = "Name of the uploads bucket in the primary region (globally unique). The replica bucket is <name>-<standby region> unless replica_bucket_name is set."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.uploads_bucket_name)) && !strcontains(var.uploads_bucket_name, "..")
    error_message = "uploads_bucket_name must be a valid S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens."
  }
}

variable "replica_bucket_name" {
  description = "Name of the uploads' replica bucket in the standby region; null = <uploads_bucket_name>-<standby_region>."
  type        = string
  default     = null

  validation {
    condition     = var.replica_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.replica_bucket_name, "x")))
    error_message = "replica_bucket_name must be a valid S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens."
  }
}

# ---------------------------------------------------------------------------------------------
# Backups
# ---------------------------------------------------------------------------------------------

variable "backup_daily_retention_days" {
  description = "AWS Backup: daily backups (03:00 UTC) kept, in the primary vault and in the standby copy (days)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_daily_retention_days >= 7
    error_message = "backup_daily_retention_days must be at least 7 (the plan)."
  }
}

variable "backup_compliance_retention_days" {
  description = "AWS Backup: weekly compliance backups (Sunday 03:30 UTC) kept (days)."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_compliance_retention_days >= 14
    error_message = "backup_compliance_retention_days must be at least 14 (the plan)."
  }
}

variable "backup_monthly_retention_days" {
  description = "AWS Backup: monthly backups (the 1st, 04:00 UTC) kept (days)."
  type        = number
  default     = 365

  validation {
    condition     = var.backup_monthly_retention_days >= 365
    error_message = "backup_monthly_retention_days must be at least 365 (the plan)."
  }
}

# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------

variable "alert_emails" {
  description = "E-mail addresses subscribed to every severity topic (each must confirm its subscription). Empty: subscribe your pager yourself."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails must contain e-mail addresses."
  }
}
