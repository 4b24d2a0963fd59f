"""Outgoing webhooks (Standard Webhooks): endpoints, events, signed deliveries."""
