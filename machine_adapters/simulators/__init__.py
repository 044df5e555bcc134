"""Firmware simulators that speak the real wire protocols, for the demo and the tests."""
