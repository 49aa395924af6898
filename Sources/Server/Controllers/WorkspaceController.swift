import Foundation
import Hummingbird
import ServerCore

/// `/v1/workspaces`: named volumes that outlive sandboxes.
struct WorkspaceController {
    let service: SandboxService
    let maxBodyBytes: Int

    func register(_ routes: RouteTable) {
        let service = self.service
        let limit = maxBodyBytes
        routes.add(.get, "/v1/workspaces") { _, context in
            try HTTP.json(WorkspaceList(workspaces: try await service.listWorkspaces(keyID: context.apiKeyID)))
        }
        routes.add(.post, "/v1/workspaces") { request, context in
            let body = try await HTTP.decode(CreateWorkspaceRequest.self, from: request, limit: limit)
            return try HTTP.json(try await service.createWorkspace(name: body.name, keyID: context.apiKeyID), status: .created)
        }
        routes.add(.delete, "/v1/workspaces/:name") { _, context in
            try await service.deleteWorkspace(name: try context.workspaceName(), keyID: context.apiKeyID)
            return try HTTP.json(OKResponse())
        }
        routes.add(.get, "/v1/workspaces/:name/files") { request, context in
            let path = request.uri.queryParameters.get("path") ?? "/"
            return try HTTP.json(try await service.browseWorkspace(name: try context.workspaceName(), path: path, keyID: context.apiKeyID))
        }
    }
}
