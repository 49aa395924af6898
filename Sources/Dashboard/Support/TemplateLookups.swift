import Mustache

// The view models a page renders many times over (a row per step or run) and those every
// lookup passes through (the page's model, the layout's): Mustache reads a plain struct by
// reflection, building a `Mirror` and searching its children for every name it looks up — most
// of a 500-step run page's time. These answer by name directly. A name not listed here is not
// in the template's reach; `TemplateLookupTests` checks that each struct answers every stored
// property (so a new field cannot be silently missed).

extension RunPageModel.StepRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "status": status
        case "attempts": attempts
        case "duration": duration
        case "backend": backend
        case "sandbox": sandbox
        case "cost": cost
        case "tokens": tokens
        case "error": error
        case "href": href
        case "selected": selected
        case "failed": failed
        default: nil
        }
    }
}

extension RunRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "workflow": workflow
        case "status": status
        case "statusLabel": statusLabel
        case "created": created
        case "createdISO": createdISO
        case "duration": duration
        case "cost": cost
        case "error": error
        case "lineage": lineage
        default: nil
        }
    }
}

extension RunPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "run": run
        case "budget": budget
        case "dag": dag
        case "dagTooLarge": dagTooLarge
        case "timeline": timeline
        case "steps": steps
        case "selected": selected
        case "approvals": approvals
        case "violations": violations
        case "parent": parent
        case "children": children
        case "hasChildren": hasChildren
        case "artifacts": artifacts
        case "hasArtifacts": hasArtifacts
        case "hasViolations": hasViolations
        case "isActive": isActive
        default: nil
        }
    }
}

extension Chrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "theme": theme
        case "nextTheme": nextTheme
        case "csrf": csrf
        case "nav": nav
        case "who": who
        case "canSignOut": canSignOut
        case "stream": stream
        case "location": location
        default: nil
        }
    }
}
