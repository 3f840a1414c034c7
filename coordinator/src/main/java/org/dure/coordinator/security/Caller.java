package org.dure.coordinator.security;

/** The authenticated person behind an API request. */
public record Caller(String name, Role role) {}
