"""Stand-ins, on loopback, for services the product talks to that no test may reach."""
