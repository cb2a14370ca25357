mock_provider "aws" {}

override_resource {
  target = aws_security_group.this
  values = { id = "sg-0client" }
}

variables {
  name                       = "lake-test-grafana"
  description                = "Managed Grafana workspace: InfluxDB hot path and HTTPS to AWS APIs only"
  vpc_id                     = "vpc-0123456789abcdef0"
  influxdb_security_group_id = "sg-0influxdb"
  influxdb_port              = 8086
  aws_apis_rule_description  = "HTTPS to AWS APIs (Athena, Glue, STS) through NAT or VPC endpoints"
  tags                       = { project = "energylake" }
}

run "client_reaches_only_the_instance_port_and_https" {
  command = apply
  assert {
    condition     = aws_security_group.this.name == var.name && aws_security_group.this.description == var.description && aws_security_group.this.vpc_id == var.vpc_id && aws_security_group.this.tags == var.tags
    error_message = "the group takes the caller's name, description, VPC and tags"
  }
  assert {
    condition = (aws_vpc_security_group_egress_rule.to_influxdb.security_group_id == "sg-0client"
      && aws_vpc_security_group_egress_rule.to_influxdb.referenced_security_group_id == "sg-0influxdb"
      && aws_vpc_security_group_egress_rule.to_influxdb.cidr_ipv4 == null
      && aws_vpc_security_group_egress_rule.to_influxdb.from_port == 8086 && aws_vpc_security_group_egress_rule.to_influxdb.to_port == 8086
    && aws_vpc_security_group_egress_rule.to_influxdb.ip_protocol == "tcp")
    error_message = "inside the VPC the client may call only the instance's group, on the instance's port"
  }
  assert {
    condition = (aws_vpc_security_group_egress_rule.to_aws_apis.security_group_id == "sg-0client"
      && aws_vpc_security_group_egress_rule.to_aws_apis.from_port == 443 && aws_vpc_security_group_egress_rule.to_aws_apis.to_port == 443
      && aws_vpc_security_group_egress_rule.to_aws_apis.ip_protocol == "tcp"
    && aws_vpc_security_group_egress_rule.to_aws_apis.description == var.aws_apis_rule_description)
    error_message = "outside the VPC the client leaves on HTTPS only, with the caller's reason"
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.to_influxdb.description == "InfluxDB API (Timestream for InfluxDB)" && output.security_group_id == "sg-0client"
    error_message = "the InfluxDB rule has its default description; the group is an output"
  }
}

run "port_must_be_a_tcp_port" {
  command = plan
  variables {
    influxdb_port = 0
  }
  expect_failures = [var.influxdb_port]
}
