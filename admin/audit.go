package admin

import (
	"context"
	"errors"
)

// op is one audited action in flight. Methods start one with a.begin, fill
// in the target as they learn it, and end it with the method's error.
type op struct {
	a  *Admin
	ev AuditEvent
}

// begin starts an audited action on a target.
func (a *Admin) begin(action, targetType, targetID, teamID string) *op {
	return &op{a: a, ev: AuditEvent{
		Action: action, TargetType: targetType, TargetID: targetID, TeamID: teamID,
		Metadata: map[string]string{},
	}}
}

// end appends the audit event: success when err is nil, denied for
// authentication and permission errors, failure otherwise. Input that never
// named an existing team or target is audited too, so probing is visible.
// A failure to append is logged, not returned: the action itself has
// already happened (or failed) and its result stands.
func (o *op) end(ctx context.Context, err error) {
	switch {
	case err == nil:
		o.ev.Outcome = OutcomeSuccess
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrUnauthenticated), errors.Is(err, ErrLicense):
		o.ev.Outcome = OutcomeDenied
		o.ev.Metadata["reason"] = err.Error()
	default:
		o.ev.Outcome = OutcomeFailure
		o.ev.Metadata["reason"] = err.Error()
	}
	o.ev.ActorID = actorName(ctx)
	o.ev.Time = o.a.clock()
	o.ev.ID = NewID(prefixAudit, o.ev.Time)
	// The audit record is written even when the caller's context was
	// cancelled after the action.
	if aerr := o.a.store.AppendAudit(context.WithoutCancel(ctx), &o.ev); aerr != nil {
		o.a.logger.ErrorContext(ctx, "audit append failed", "action", o.ev.Action,
			"target", o.ev.TargetID, "err", aerr)
	}
}

// ListAudit lists audit events, newest first by default. Platform admins
// may list everything; team owners and admins their team's events (set
// f.TeamID).
func (a *Admin) ListAudit(ctx context.Context, f AuditFilter, page Page) (List[*AuditEvent], error) {
	if f.TeamID == "" {
		if _, err := a.requirePlatformAdmin(ctx); err != nil {
			return List[*AuditEvent]{}, err
		}
	} else if _, _, err := a.authorize(ctx, f.TeamID, PermAuditRead); err != nil {
		return List[*AuditEvent]{}, err
	}
	return paginate(page, func(p Page) ([]*AuditEvent, error) { return a.store.ListAudit(ctx, f, p) },
		func(e *AuditEvent) string { return e.ID })
}

// actorName names the principal of ctx in audit events and messages.
func actorName(ctx context.Context) string {
	if p, ok := PrincipalFrom(ctx); ok {
		return p.actorID()
	}
	return "anonymous"
}
