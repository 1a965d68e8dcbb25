"""Branding: find a counterparty's logo and brand name on its website, safely."""
