"""The router service: contacts and agents in a ``routing.state`` store, decisions from
``routing.core``, call control through ``routing.ami``, one AMI-event leader at a time."""

from routing.service.leader import Leadership, RedisLease, SoleLeader
from routing.service.router import Router, member_services

__all__ = ["Leadership", "RedisLease", "Router", "SoleLeader", "member_services"]
