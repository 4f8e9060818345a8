package redisstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// observer is a go-redis hook that reports every command and pipeline to
// Options.Observe.
type observer func(command string, took time.Duration, err error)

// DialHook leaves dialling alone: a failed dial shows up as the error of
// the command that needed the connection.
func (o observer) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook times one command.
func (o observer) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		o(cmd.Name(), time.Since(start), observed(cmd, err))
		return err
	}
}

// ProcessPipelineHook times one pipeline, named "multi" when it is a
// MULTI/EXEC transaction and "pipeline" otherwise; its error is the
// pipeline's, else the first command's.
func (o observer) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		took := time.Since(start)
		name := "pipeline"
		if len(cmds) > 0 && cmds[0].Name() == "multi" {
			name = "multi"
		}
		var reported error
		for _, c := range cmds {
			if reported != nil {
				break
			}
			reported = observed(c, c.Err())
		}
		if reported == nil && !errors.Is(err, firstErr(cmds)) {
			reported = err // the pipeline failed as a whole
		}
		o(name, took, reported)
		return err
	}
}

// observed is the error Observe sees of a command: nil for the answers
// that are part of normal work rather than failures — a missing key; a
// script not yet cached (Script.Run then sends it with EVAL); and a CLIENT
// subcommand an older server does not know, which go-redis tries on every
// new connection (SETINFO, MAINT_NOTIFICATIONS) and does without.
func observed(cmd redis.Cmder, err error) error {
	switch {
	case err == nil, errors.Is(err, redis.Nil):
		return nil
	case strings.HasPrefix(err.Error(), "NOSCRIPT"):
		return nil
	case cmd.Name() == "client" && strings.HasPrefix(err.Error(), "ERR unknown subcommand"):
		return nil
	}
	return err
}

// firstErr is the first error among the commands of a pipeline, which
// go-redis also returns as the pipeline's.
func firstErr(cmds []redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}

var _ redis.Hook = observer(nil)
