# Per region: an application load balancer (HTTPS) in front of an ECS Fargate service.
# The primary serves with var.active_instances tasks; the standby is kept at desired count 0
# (a "pilot light": its load balancer, target group and task definition exist, so a failover
# only has to scale it up).

locals {
  ecs_cluster_name = var.name_prefix
  ecs_service_name = "${var.name_prefix}-api"
  container_name   = "api"
}

# The task execution role (pull the image, write logs). IAM is global: one role for both regions.
resource "aws_iam_role" "ecs_execution" {
  name = "${var.name_prefix}-dr-ecs-execution"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "ecs_execution" {
  role       = aws_iam_role.ecs_execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# --- primary --------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "app_primary" {
  name              = "/ecs/${local.ecs_service_name}"
  retention_in_days = 30
}

resource "aws_ecs_cluster" "primary" {
  name = local.ecs_cluster_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "primary" {
  family                   = local.ecs_service_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.ecs_execution.arn

  container_definitions = jsonencode([{
    name         = local.container_name
    image        = var.container_image
    essential    = true
    portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]
    # Each region's app talks to its own region's database endpoint: after a failover the
    # promoted replica keeps its endpoint, so the standby's tasks need no reconfiguration.
    environment = [
      { name = "REGAMI_REGION", value = var.primary_region },
      { name = "DB_HOST", value = aws_db_instance.primary.address },
      { name = "DB_PORT", value = "5432" },
      { name = "DB_NAME", value = var.db_name },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.app_primary.name
        "awslogs-region"        = var.primary_region
        "awslogs-stream-prefix" = local.container_name
      }
    }
  }])
}

resource "aws_lb" "primary" {
  name                       = "${var.name_prefix}-${var.primary_region}"
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb_primary.id]
  subnets                    = var.primary_public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
}

resource "aws_lb_target_group" "primary" {
  name                 = "${var.name_prefix}-api-${var.primary_region}"
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.primary_vpc_id
  deregistration_delay = 30

  # The same probe as Route 53's: a task that cannot reach its database takes no traffic.
  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https_primary" {
  load_balancer_arn = aws_lb.primary.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.primary_certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.primary.arn
  }
}

resource "aws_ecs_service" "primary" {
  name            = local.ecs_service_name
  cluster         = aws_ecs_cluster.primary.id
  task_definition = aws_ecs_task_definition.primary.arn
  launch_type     = "FARGATE"
  desired_count   = var.active_instances

  health_check_grace_period_seconds = 60

  network_configuration {
    subnets          = var.primary_private_subnet_ids
    security_groups  = [aws_security_group.app_primary.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.primary.arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # regami-dr owns the desired count once the stack exists: a failover fences this service
  # (desired 0) and scales the standby up; a failback does the reverse. If Terraform managed the
  # count, the next apply after a failover would scale the serving region down to 0 and the
  # fenced one back up. desired_count above is only the initial value.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https_primary]
}

# --- standby --------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "app_standby" {
  provider = aws.standby

  name              = "/ecs/${local.ecs_service_name}"
  retention_in_days = 30
}

resource "aws_ecs_cluster" "standby" {
  provider = aws.standby

  name = local.ecs_cluster_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "standby" {
  provider = aws.standby

  family                   = local.ecs_service_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.ecs_execution.arn

  container_definitions = jsonencode([{
    name         = local.container_name
    image        = var.container_image
    essential    = true
    portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]
    environment = [
      { name = "REGAMI_REGION", value = var.standby_region },
      { name = "DB_HOST", value = aws_db_instance.replica.address },
      { name = "DB_PORT", value = "5432" },
      { name = "DB_NAME", value = var.db_name },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.app_standby.name
        "awslogs-region"        = var.standby_region
        "awslogs-stream-prefix" = local.container_name
      }
    }
  }])
}

resource "aws_lb" "standby" {
  provider = aws.standby

  name                       = "${var.name_prefix}-${var.standby_region}"
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb_standby.id]
  subnets                    = var.standby_public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
}

resource "aws_lb_target_group" "standby" {
  provider = aws.standby

  name                 = "${var.name_prefix}-api-${var.standby_region}"
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.standby_vpc_id
  deregistration_delay = 30

  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https_standby" {
  provider = aws.standby

  load_balancer_arn = aws_lb.standby.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.standby_certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.standby.arn
  }
}

resource "aws_ecs_service" "standby" {
  provider = aws.standby

  name            = local.ecs_service_name
  cluster         = aws_ecs_cluster.standby.id
  task_definition = aws_ecs_task_definition.standby.arn
  launch_type     = "FARGATE"
  # The standby runs no task until regami-dr scales it (pilot light, and a replica database
  # that is read-only until promoted: a standby task could not serve writes anyway).
  desired_count = 0

  health_check_grace_period_seconds = 60

  network_configuration {
    subnets          = var.standby_private_subnet_ids
    security_groups  = [aws_security_group.app_standby.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.standby.arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # See the primary's service: regami-dr scales this service during failover and failback.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https_standby]
}
