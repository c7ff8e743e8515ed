//go:build !unix

package appserver

import "os/exec"

// newProcessGroup does nothing here: without Unix process groups only the
// command itself is stopped, not its children.
func newProcessGroup(*exec.Cmd) {}

// terminateGroup kills the command (there is no SIGTERM to send).
func terminateGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

// killGroup kills the command; one already gone is fine.
func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
