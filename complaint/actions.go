package complaint

// Action names are what workflows.Actions returns: the staff decisions a case's
// state lets an actor take, named as the API routes that take them.
const (
	ActionAssign           = "assign"
	ActionTransfer         = "transfer"
	ActionNote             = "note"
	ActionRequestInfo      = "request_info"
	ActionEscalate         = "escalate"
	ActionClassify         = "classification"
	ActionFindings         = "findings"
	ActionPropose          = "proposal"
	ActionApprove          = "approval"
	ActionRequestExtension = "request_extension"
	ActionDecideExtension  = "decide_extension"
	ActionFulfilment       = "fulfilment"
)
