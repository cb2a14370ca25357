variable "name" {
  description = "Name of the security group, e.g. <name_prefix>-grafana."
  type        = string
}

variable "description" {
  description = "Description of the security group: who uses it and what it may reach (replacing it replaces the group)."
  type        = string
}

variable "vpc_id" {
  description = "The lake's VPC (the InfluxDB instance's)."
  type        = string
}

variable "influxdb_security_group_id" {
  description = "Security group of the InfluxDB instance (timestream_influxdb output security_group_id): the only destination inside the VPC."
  type        = string
}

variable "influxdb_port" {
  description = "Port of the InfluxDB API (timestream_influxdb output port)."
  type        = number
  validation {
    condition     = var.influxdb_port >= 1 && var.influxdb_port <= 65535 && floor(var.influxdb_port) == var.influxdb_port
    error_message = "influxdb_port is a TCP port number (1-65535)."
  }
}

variable "influxdb_rule_description" {
  description = "Description of the egress rule to the InfluxDB instance."
  type        = string
  default     = "InfluxDB API (Timestream for InfluxDB)"
}

variable "aws_apis_rule_description" {
  description = "Description of the HTTPS egress rule: which AWS APIs the client calls, and how it reaches them (NAT or VPC interface endpoints)."
  type        = string
}

variable "tags" {
  description = "Tags of the security group."
  type        = map(string)
  default     = {}
}
