# The security group of one client of the Timestream for InfluxDB instance (the telemetry writer, managed_flink's
# alerts consumer, Managed Grafana's VPC connection): no ingress, egress only to the instance's security group on
# its port and HTTPS to AWS APIs. The caller attaches the group (security_group_id); the instance's group admits
# it (timestream_influxdb: the writer's own from_writer rule, the others through client_security_group_ids).

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached by the calling module (a Lambda function's vpc_config, the Grafana workspace's vpc_configuration) through output security_group_id, a reference across modules that this check's plan graph does not follow.
  name        = var.name
  description = var.description
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "to_influxdb" {
  security_group_id            = aws_security_group.this.id
  description                  = var.influxdb_rule_description
  referenced_security_group_id = var.influxdb_security_group_id
  from_port                    = var.influxdb_port
  to_port                      = var.influxdb_port
  ip_protocol                  = "tcp"
}

# AWS APIs have no fixed addresses: the subnets reach them through NAT or VPC interface endpoints.
resource "aws_vpc_security_group_egress_rule" "to_aws_apis" {
  security_group_id = aws_security_group.this.id
  description       = var.aws_apis_rule_description
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
}
