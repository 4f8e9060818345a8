package redisstore

import (
	"context"
	"errors"
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
		o(cmd.Name(), time.Since(start), observed(err))
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
		reported := observed(err)
		for _, c := range cmds {
			if reported != nil {
				break
			}
			reported = observed(c.Err())
		}
		o(name, took, reported)
		return err
	}
}

// observed is the error Observe sees: nil for a missing key, which is an
// answer rather than a failure.
func observed(err error) error {
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

var _ redis.Hook = observer(nil)
