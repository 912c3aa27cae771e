package engine

// SetFaultHook lets tests stop a commit at a named step.
func SetFaultHook(fn func(step string)) { faultHook = fn }
