//! Links from each create operation's 201 answer to the operation that
//! reads what it created: `POST /api/v1/reports` answers a report whose
//! `id` is the `id` of `GET /api/v1/reports/{id}` (`get_report`). Generated
//! clients and documentation tools show the way from one to the other.

use serde_json::{Value, json};

/// Adds `links.read` to every 201 answer of a `POST` whose path has a
/// `GET {path}/{id}`: its `operationId`, with `id` from the answer's body.
pub fn link_creates_to_reads(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let reads: Vec<(String, String)> = paths
        .iter()
        .filter_map(|(path, item)| {
            let collection = path.strip_suffix("/{id}")?;
            let id = item.pointer("/get/operationId")?.as_str()?;
            Some((collection.to_string(), id.to_string()))
        })
        .collect();
    for (collection, read) in reads {
        let Some(created) = paths
            .get_mut(&collection)
            .and_then(|item| item.pointer_mut("/post/responses/201"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        created.insert(
            "links".into(),
            json!({"read": {
                "operationId": read,
                "parameters": {"id": "$response.body#/id"},
                "description": "Reads what was created: its `id` is the `id` of the answer.",
            }}),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_create_with_a_read_links_to_it() {
        let doc = serde_json::to_value(crate::api::openapi_document()).unwrap_or_default();
        let link = &doc["paths"]["/api/v1/reports"]["post"]["responses"]["201"]["links"]["read"];
        assert_eq!(link["operationId"], "get_report");
        assert_eq!(link["parameters"]["id"], "$response.body#/id");
        // Every linked operation exists.
        let ids: Vec<&str> = doc["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(_, item)| item.as_object().into_iter().flatten())
            .filter_map(|(_, op)| op["operationId"].as_str())
            .collect();
        let mut linked = 0;
        for (_, item) in doc["paths"].as_object().into_iter().flatten() {
            if let Some(target) = item.pointer("/post/responses/201/links/read/operationId") {
                assert!(ids.contains(&target.as_str().unwrap_or("")), "{target}");
                linked += 1;
            }
        }
        assert!(linked >= 15, "{linked} creates link to their read");
    }
}
