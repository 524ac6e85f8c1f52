//go:build !linux

package main

import "io"

// noEcho cannot turn the echo off here: the password shows as it is typed.
// Prefer --password-file on these systems.
func noEcho(io.Reader) func() { return func() {} }
