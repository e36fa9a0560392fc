// Package temporalns sets up a Temporal namespace for the application: the
// namespace itself and the custom search attributes its workflows write.
// It talks to any Temporal cluster through the SDK client, so the
// production binary can use it without linking a Temporal server.
package temporalns

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Ensure registers namespace (if missing) and the custom search
// attributes (those missing) on the cluster c talks to, retrying for up to
// 30 s while the cluster comes up. It is used for the embedded server of
// the dev stack and, at start, for an external cluster. It returns an
// error naming the namespace when the cluster refuses or stays
// unreachable, or when ctx ends.
func Ensure(ctx context.Context, c client.Client, namespace string, retention time.Duration, attrs map[string]enumspb.IndexedValueType) error {
	ws := c.WorkflowService()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := ws.RegisterNamespace(cctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        namespace,
			WorkflowExecutionRetentionPeriod: durationpb.New(retention),
		})
		cancel()
		var exists *serviceerror.NamespaceAlreadyExists
		if err == nil || errors.As(err, &exists) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("temporalns: register namespace %s: %w", namespace, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(attrs) == 0 {
		return nil
	}
	ops := c.OperatorService()
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		list, err := ops.ListSearchAttributes(cctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
		cancel()
		if err == nil {
			missing := map[string]enumspb.IndexedValueType{}
			for name, typ := range attrs {
				if _, ok := list.GetCustomAttributes()[name]; !ok {
					missing[name] = typ
				}
			}
			if len(missing) == 0 {
				return nil
			}
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err = ops.AddSearchAttributes(cctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
			cancel()
			var already *serviceerror.AlreadyExists
			if err == nil || errors.As(err, &already) {
				continue // list again to confirm
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("temporalns: search attributes on %s: %w", namespace, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
