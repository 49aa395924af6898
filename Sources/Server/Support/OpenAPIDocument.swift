/// The native API's OpenAPI 3.1 document, served at `/openapi.json`.
///
/// Written by hand (no generator dependency) and kept honest by a test that every route the
/// server registers appears here with its method, and nothing else does.
enum OpenAPIDocument {
    static let json = #"""
{
 "components": {
  "schemas": {
   "CreateSandbox": {
    "properties": {
     "cpu": {
      "type": "number"
     },
     "env": {
      "additionalProperties": {
       "type": "string"
      },
      "type": "object"
     },
     "image": {
      "default": "base",
      "description": "base, python, node or sandcastle/NAME[:TAG]",
      "type": "string"
     },
     "memory_mb": {
      "type": "integer"
     },
     "network": {
      "type": "boolean"
     },
     "profile": {
      "default": "default",
      "type": "string"
     },
     "ttl_seconds": {
      "type": "integer"
     },
     "workspace": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "CreateWorkspace": {
    "properties": {
     "name": {
      "type": "string"
     }
    },
    "required": [
     "name"
    ],
    "type": "object"
   },
   "Error": {
    "properties": {
     "error": {
      "properties": {
       "code": {
        "description": "stable code: invalid_input, unauthorized, not_found, route_not_found, sandbox_expired, sandbox_gone, at_capacity, command_timeout, body_too_large, conflict, permission_denied, image_not_found, method_not_allowed, sandbox_start_failed, engine_unavailable, no_space, internal",
        "type": "string"
       },
       "message": {
        "type": "string"
       }
      },
      "required": [
       "code",
       "message"
      ],
      "type": "object"
     }
    },
    "required": [
     "error"
    ],
    "type": "object"
   },
   "Exec": {
    "properties": {
     "argv": {
      "description": "a program and arguments, run without a shell",
      "items": {
       "type": "string"
      },
      "type": "array"
     },
     "command": {
      "description": "a shell command line, run in the sandbox's persistent shell",
      "type": "string"
     },
     "cwd": {
      "type": "string"
     },
     "env": {
      "additionalProperties": {
       "type": "string"
      },
      "type": "object"
     },
     "max_output_bytes": {
      "type": "integer"
     },
     "timeout_ms": {
      "type": "integer"
     }
    },
    "type": "object"
   },
   "ExecResult": {
    "properties": {
     "cwd": {
      "type": "string"
     },
     "duration_ms": {
      "type": "number"
     },
     "exit_code": {
      "type": "integer"
     },
     "stderr": {
      "type": "string"
     },
     "stdout": {
      "type": "string"
     },
     "timed_out": {
      "type": "boolean"
     },
     "truncated": {
      "type": "boolean"
     }
    },
    "required": [
     "stdout",
     "stderr",
     "exit_code",
     "duration_ms",
     "truncated",
     "timed_out"
    ],
    "type": "object"
   },
   "Extend": {
    "properties": {
     "ttl_seconds": {
      "type": "integer"
     }
    },
    "required": [
     "ttl_seconds"
    ],
    "type": "object"
   },
   "File": {
    "properties": {
     "mode": {
      "type": "string"
     },
     "modified_at": {
      "format": "date-time",
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "path": {
      "type": "string"
     },
     "size": {
      "type": "integer"
     },
     "symlink_target": {
      "type": "string"
     },
     "type": {
      "enum": [
       "file",
       "directory",
       "symlink",
       "other"
      ],
      "type": "string"
     }
    },
    "type": "object"
   },
   "FileList": {
    "properties": {
     "entries": {
      "items": {
       "$ref": "#/components/schemas/File"
      },
      "type": "array"
     },
     "path": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "Health": {
    "properties": {
     "status": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "MakeDirectory": {
    "properties": {
     "parents": {
      "default": true,
      "type": "boolean"
     },
     "path": {
      "type": "string"
     }
    },
    "required": [
     "path"
    ],
    "type": "object"
   },
   "Move": {
    "properties": {
     "from": {
      "type": "string"
     },
     "overwrite": {
      "type": "boolean"
     },
     "to": {
      "type": "string"
     }
    },
    "required": [
     "from",
     "to"
    ],
    "type": "object"
   },
   "OK": {
    "properties": {
     "ok": {
      "type": "boolean"
     }
    },
    "type": "object"
   },
   "Sandbox": {
    "properties": {
     "cpu": {
      "type": "number"
     },
     "created_at": {
      "format": "date-time",
      "type": "string"
     },
     "env_keys": {
      "items": {
       "type": "string"
      },
      "type": "array"
     },
     "expires_at": {
      "format": "date-time",
      "type": "string"
     },
     "id": {
      "type": "string"
     },
     "image": {
      "type": "string"
     },
     "memory_mb": {
      "type": "integer"
     },
     "network": {
      "type": "string"
     },
     "profile": {
      "type": "string"
     },
     "status": {
      "type": "string"
     },
     "status_reason": {
      "type": "string"
     },
     "ttl_seconds": {
      "type": "integer"
     },
     "workspace": {
      "type": "string"
     }
    },
    "required": [
     "id",
     "status",
     "image",
     "profile",
     "env_keys",
     "created_at"
    ],
    "type": "object"
   },
   "SandboxPage": {
    "properties": {
     "next_cursor": {
      "type": "string"
     },
     "sandboxes": {
      "items": {
       "$ref": "#/components/schemas/Sandbox"
      },
      "type": "array"
     }
    },
    "required": [
     "sandboxes"
    ],
    "type": "object"
   },
   "Stats": {
    "properties": {
     "cpu_percent": {
      "type": "number"
     },
     "cpu_total_ns": {
      "type": "integer"
     },
     "memory_bytes": {
      "type": "integer"
     },
     "memory_limit_bytes": {
      "type": "integer"
     },
     "pids": {
      "type": "integer"
     }
    },
    "type": "object"
   },
   "Workspace": {
    "properties": {
     "created_at": {
      "type": "string"
     },
     "labels": {
      "additionalProperties": {
       "type": "string"
      },
      "type": "object"
     },
     "name": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "WorkspaceList": {
    "properties": {
     "workspaces": {
      "items": {
       "$ref": "#/components/schemas/Workspace"
      },
      "type": "array"
     }
    },
    "type": "object"
   }
  },
  "securitySchemes": {
   "apiKey": {
    "in": "header",
    "name": "X-API-Key",
    "type": "apiKey"
   },
   "bearer": {
    "scheme": "bearer",
    "type": "http"
   }
  }
 },
 "info": {
  "description": "Sandboxes as a service: see docs/server.md. Errors are {\"error\":{\"code\",\"message\"}} with stable codes.",
  "title": "Sandcastle native API",
  "version": "1.0.0"
 },
 "openapi": "3.1.0",
 "paths": {
  "/health": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Health"
        }
       }
      },
      "description": "ok"
     }
    },
    "security": [],
    "summary": "Liveness (no key needed)",
    "tags": [
     "system"
    ]
   }
  },
  "/healthz": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Health"
        }
       }
      },
      "description": "ok"
     }
    },
    "security": [],
    "summary": "Liveness (no key needed)",
    "tags": [
     "system"
    ]
   }
  },
  "/metrics": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      },
      "description": "text exposition format"
     }
    },
    "security": [],
    "summary": "Prometheus metrics (no key needed)",
    "tags": [
     "system"
    ]
   }
  },
  "/openapi.json": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      },
      "description": "OpenAPI 3.1"
     }
    },
    "security": [],
    "summary": "This document (no key needed)",
    "tags": [
     "system"
    ]
   }
  },
  "/v1/sandboxes": {
   "get": {
    "parameters": [
     {
      "description": "comma-separated statuses: creating, running, expired, gone, lost, deleted",
      "in": "query",
      "name": "status",
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "image",
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "limit",
      "schema": {
       "default": 50,
       "maximum": 500,
       "minimum": 1,
       "type": "integer"
      }
     },
     {
      "description": "`next_cursor` of the previous page",
      "in": "query",
      "name": "cursor",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SandboxPage"
        }
       }
      },
      "description": "a page"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "bad filter, limit or cursor"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unauthorized"
     }
    },
    "summary": "List sandboxes (oldest first), filtered and paginated",
    "tags": [
     "sandboxes"
    ]
   },
   "post": {
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateSandbox"
       }
      }
     },
     "required": true
    },
    "responses": {
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Sandbox"
        }
       }
      },
      "description": "created"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "invalid input or unknown image (`invalid_input`, `image_not_found`)"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unauthorized"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "body too large"
     },
     "429": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "at capacity, globally or for this key (`at_capacity`)"
     },
     "502": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "the sandbox did not start (`sandbox_start_failed`)"
     },
     "503": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "the Docker engine does not answer (`engine_unavailable`)"
     }
    },
    "summary": "Create a sandbox",
    "tags": [
     "sandboxes"
    ]
   }
  },
  "/v1/sandboxes/{id}": {
   "delete": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/OK"
        }
       }
      },
      "description": "deleted"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     }
    },
    "summary": "Delete a sandbox (its record stays with status `deleted`)",
    "tags": [
     "sandboxes"
    ]
   },
   "get": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Sandbox"
        }
       }
      },
      "description": "the sandbox"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     }
    },
    "summary": "A sandbox, whatever its status (a gone one shows status and status_reason)",
    "tags": [
     "sandboxes"
    ]
   }
  },
  "/v1/sandboxes/{id}/exec": {
   "post": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Exec"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExecResult"
        }
       }
      },
      "description": "its result"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "invalid input"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     },
     "504": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "the command ran past its timeout (`command_timeout`)"
     }
    },
    "summary": "Run a command to completion",
    "tags": [
     "sandboxes"
    ]
   }
  },
  "/v1/sandboxes/{id}/exec/stream": {
   "post": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Exec"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "text/event-stream": {
        "schema": {
         "type": "string"
        }
       }
      },
      "description": "event stream"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "invalid input"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "Run a command, streaming server-sent events: `stdout`/`stderr` ({\"data\":text}) as chunks arrive, then `exit` ({exit_code, duration_ms, truncated, timed_out, signal}) or `error` ({code, message}); a comment line `: keep-alive` every second while the command is quiet; a client that disconnects cancels the command",
    "tags": [
     "sandboxes"
    ]
   }
  },
  "/v1/sandboxes/{id}/extend": {
   "post": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Extend"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Sandbox"
        }
       }
      },
      "description": "the sandbox"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "ttl out of range"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "Set a new TTL counted from now",
    "tags": [
     "sandboxes"
    ]
   }
  },
  "/v1/sandboxes/{id}/files": {
   "delete": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "recursive",
      "schema": {
       "type": "boolean"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/OK"
        }
       }
      },
      "description": "removed"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "Remove a file or directory",
    "tags": [
     "files"
    ]
   },
   "get": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "path",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/FileList"
        }
       }
      },
      "description": "entries"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "List a directory",
    "tags": [
     "files"
    ]
   }
  },
  "/v1/sandboxes/{id}/files/content": {
   "get": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/octet-stream": {
        "schema": {
         "format": "binary",
         "type": "string"
        }
       }
      },
      "description": "the bytes"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "Download a file (streamed)",
    "tags": [
     "files"
    ]
   },
   "put": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "mode",
      "schema": {
       "default": "644",
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "append",
      "schema": {
       "type": "boolean"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/octet-stream": {
       "schema": {
        "format": "binary",
        "type": "string"
       }
      }
     },
     "required": true
    },
    "responses": {
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/File"
        }
       }
      },
      "description": "the written file"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "upload over the limit"
     }
    },
    "summary": "Upload a file (raw body, streamed)",
    "tags": [
     "files"
    ]
   }
  },
  "/v1/sandboxes/{id}/files/mkdir": {
   "post": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/MakeDirectory"
       }
      }
     },
     "required": true
    },
    "responses": {
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/OK"
        }
       }
      },
      "description": "created"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "Create a directory",
    "tags": [
     "files"
    ]
   }
  },
  "/v1/sandboxes/{id}/files/move": {
   "post": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Move"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/OK"
        }
       }
      },
      "description": "moved"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "target exists"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "Move or rename",
    "tags": [
     "files"
    ]
   }
  },
  "/v1/sandboxes/{id}/files/stat": {
   "get": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/File"
        }
       }
      },
      "description": "the entry"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "Stat a path",
    "tags": [
     "files"
    ]
   }
  },
  "/v1/sandboxes/{id}/stats": {
   "get": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Stats"
        }
       }
      },
      "description": "stats"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "Memory and CPU use from the engine",
    "tags": [
     "sandboxes"
    ]
   }
  },
  "/v1/sandboxes/{id}/terminal": {
   "get": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "rows",
      "schema": {
       "default": 24,
       "type": "integer"
      }
     },
     {
      "in": "query",
      "name": "cols",
      "schema": {
       "default": 80,
       "type": "integer"
      }
     }
    ],
    "responses": {
     "101": {
      "description": "switching to WebSocket"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "not a WebSocket request"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "missing or invalid API key"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown sandbox (or another key's)"
     },
     "410": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"
     }
    },
    "summary": "Interactive terminal over WebSocket (Upgrade: websocket). Binary frames: PTY bytes both ways. Text frames from the client: {\"type\":\"resize\",\"rows\":R,\"cols\":C}; from the server at the end: {\"type\":\"exit\",\"exit_code\":N}. Without an upgrade: 400.",
    "tags": [
     "sandboxes"
    ]
   }
  },
  "/v1/workspaces": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/WorkspaceList"
        }
       }
      },
      "description": "workspaces"
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unauthorized"
     }
    },
    "summary": "List named workspaces",
    "tags": [
     "workspaces"
    ]
   },
   "post": {
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateWorkspace"
       }
      }
     },
     "required": true
    },
    "responses": {
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Workspace"
        }
       }
      },
      "description": "created"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "invalid name"
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "exists"
     }
    },
    "summary": "Create a named workspace (a Docker volume)",
    "tags": [
     "workspaces"
    ]
   }
  },
  "/v1/workspaces/{name}": {
   "delete": {
    "parameters": [
     {
      "in": "path",
      "name": "name",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/OK"
        }
       }
      },
      "description": "deleted"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown"
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "in use"
     }
    },
    "summary": "Delete a workspace",
    "tags": [
     "workspaces"
    ]
   }
  },
  "/v1/workspaces/{name}/files": {
   "get": {
    "parameters": [
     {
      "in": "path",
      "name": "name",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "path",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/FileList"
        }
       }
      },
      "description": "entries"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "unknown"
     }
    },
    "summary": "List a workspace's files without a sandbox",
    "tags": [
     "workspaces"
    ]
   }
  }
 },
 "security": [
  {
   "bearer": []
  },
  {
   "apiKey": []
  }
 ],
 "servers": [
  {
   "url": "http://127.0.0.1:8080"
  }
 ]
}
"""#
}
