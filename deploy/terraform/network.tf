# Security groups, per region. The VPCs and subnets are inputs: the module does not create them.
#
#   internet --443--> alb --container_port--> app --5432--> db
#
# plus a "fence" group with no rule at all (see below).

# --- primary --------------------------------------------------------------------------------

resource "aws_security_group" "alb_primary" {
  name        = "${var.name_prefix}-alb"
  description = "Load balancer: HTTPS from anywhere (clients and the Route 53 health checkers)"
  vpc_id      = var.primary_vpc_id

  ingress {
    description      = "HTTPS"
    from_port        = 443
    to_port          = 443
    protocol         = "tcp"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }
  # Egress is a separate rule (alb_to_app_primary): an inline rule naming the app group while the
  # app group names this one would be a dependency cycle.
}

resource "aws_security_group" "app_primary" {
  name        = "${var.name_prefix}-app"
  description = "ECS tasks: the container port from the load balancer only"
  vpc_id      = var.primary_vpc_id

  ingress {
    description     = "From the load balancer"
    from_port       = var.container_port
    to_port         = var.container_port
    protocol        = "tcp"
    security_groups = [aws_security_group.alb_primary.id]
  }

  egress {
    description = "The database, the image registry, Secrets Manager, CloudWatch Logs"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app_primary" {
  security_group_id            = aws_security_group.alb_primary.id
  description                  = "To the ECS tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.app_primary.id
}

resource "aws_security_group" "db_primary" {
  name        = "${var.name_prefix}-db"
  description = "Database (serving): PostgreSQL from the app only"
  vpc_id      = var.primary_vpc_id

  ingress {
    description     = "PostgreSQL from the app"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.app_primary.id]
  }

  # RDS never opens connections through its security group (replication to the cross-region
  # replica is AWS's own path), so the database needs no egress.
  egress = []
}

# The fence group. regami-dr fences a database by moving it onto this group
# (rds modify-db-instance --vpc-security-group-ids <fence>): with no ingress rule no client can
# open a new connection, while the instance keeps running and keeps shipping WAL to its replica
# (a planned switchover needs that), without a reboot, in a way no client session can undo, and
# reversibly (regami-dr tags the serving groups on the instance to restore them). A single
# ingress rule here would let a client of the old primary write after the failover (split brain):
# `ingress = []` is explicit so Terraform also removes any rule added by hand.
resource "aws_security_group" "fence_primary" {
  name        = "${var.name_prefix}-db-fence"
  description = "regami-dr fence: NO ingress; a fenced database is moved onto this group"
  vpc_id      = var.primary_vpc_id

  ingress = []
  egress  = []
}

# --- standby (the same groups) -----------------------------------------------------------------

resource "aws_security_group" "alb_standby" {
  provider = aws.standby

  name        = "${var.name_prefix}-alb"
  description = "Load balancer: HTTPS from anywhere (clients and the Route 53 health checkers)"
  vpc_id      = var.standby_vpc_id

  ingress {
    description      = "HTTPS"
    from_port        = 443
    to_port          = 443
    protocol         = "tcp"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }
}

resource "aws_security_group" "app_standby" {
  provider = aws.standby

  name        = "${var.name_prefix}-app"
  description = "ECS tasks: the container port from the load balancer only"
  vpc_id      = var.standby_vpc_id

  ingress {
    description     = "From the load balancer"
    from_port       = var.container_port
    to_port         = var.container_port
    protocol        = "tcp"
    security_groups = [aws_security_group.alb_standby.id]
  }

  egress {
    description = "The database, the image registry, Secrets Manager, CloudWatch Logs"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app_standby" {
  provider = aws.standby

  security_group_id            = aws_security_group.alb_standby.id
  description                  = "To the ECS tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.app_standby.id
}

resource "aws_security_group" "db_standby" {
  provider = aws.standby

  name        = "${var.name_prefix}-db"
  description = "Database (serving): PostgreSQL from the app only"
  vpc_id      = var.standby_vpc_id

  ingress {
    description     = "PostgreSQL from the app"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.app_standby.id]
  }

  egress = []
}

# The standby's fence group: after a failover the standby is the primary, and failing back fences
# it exactly as the failover fenced the old primary. No ingress, for the same reason.
resource "aws_security_group" "fence_standby" {
  provider = aws.standby

  name        = "${var.name_prefix}-db-fence"
  description = "regami-dr fence: NO ingress; a fenced database is moved onto this group"
  vpc_id      = var.standby_vpc_id

  ingress = []
  egress  = []
}
