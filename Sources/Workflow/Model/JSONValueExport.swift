// `JSONValue` is part of this module's vocabulary (inputs, outputs, expression values), so
// whoever imports Workflow gets it; it lives below, in `JSONValues`, because the model
// providers and the agent's tools speak JSON too without knowing workflows.
@_exported import JSONValues
