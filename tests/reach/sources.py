"""The AWS pages the reachability cases come from; every case names one of these keys."""

from __future__ import annotations

VPC = "https://docs.aws.amazon.com/vpc/latest/userguide/"
TGW = "https://docs.aws.amazon.com/vpc/latest/tgw/"
PEER = "https://docs.aws.amazon.com/vpc/latest/peering/"
SOURCES = {
    "route-priority": VPC + "route-tables-priority.html",
    "subnet-route-tables": VPC + "subnet-route-tables.html",
    "route-options": VPC + "route-table-options.html",
    "middlebox": VPC + "route-table-options.html#route-tables-appliance-routing",
    "igw": VPC + "VPC_Internet_Gateway.html",
    "eigw": VPC + "egress-only-internet-gateway.html",
    "nat": VPC + "vpc-nat-gateway.html",
    "nat-scenarios": VPC + "nat-gateway-scenarios.html",
    "nat64": VPC + "nat-gateway-nat64-dns64.html",
    "peering-basics": PEER + "vpc-peering-basics.html",
    "peering-invalid": PEER + "invalid-peering-configurations.html",
    "peering-routing": PEER + "vpc-peering-routing.html",
    "peering-sg": PEER + "vpc-peering-security-groups.html",
    "tgw-how": TGW + "how-transit-gateways-work.html",
    "tgw-vpc": TGW + "tgw-vpc-attachments.html",
    "tgw-rt": TGW + "tgw-route-tables.html",
    "tgw-nacl": TGW + "tgw-nacls.html",
    "tgw-peering": TGW + "tgw-peering.html",
    "tgw-pl": TGW + "tgw-prefix-lists.html",
    "tgw-share": TGW + "working-with-transit-gateways.html",  # sharing through AWS RAM
    "az-ids": "https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html",
    "prefix-lists": VPC + "managed-prefix-lists.html",
    "sg": VPC + "vpc-security-groups.html",
    "sg-rules": VPC + "security-group-rules.html",
    "nacl": VPC + "vpc-network-acls.html",
    "nacl-rules": VPC + "nacl-rules.html",
    "nacl-ephemeral": VPC + "nacl-ephemeral-ports.html",
    "gateway-endpoints": "https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html",
    "gwlb-endpoints": "https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-load-balancer-endpoints.html",
    "network-firewall": "https://docs.aws.amazon.com/network-firewall/latest/developerguide/arch-igw-ngw.html",
    "vpn": "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPC_VPN.html",
    "ipv6": VPC + "vpc-migrate-ipv6.html",
    "apprunner-vpc": "https://docs.aws.amazon.com/apprunner/latest/dg/network-vpc.html",
}
