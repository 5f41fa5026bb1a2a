"""Examples: a service using the SDK and its tests (see the README, "Testing your code")."""
