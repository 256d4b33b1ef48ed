
CREATE (b:Breach {id: $id, description: $description, scope: $scope, stores: $stores,
                  countries: $countries, outside_eea: $outside_eea, exposed_from: $exposed_from,
                  exposed_to: $exposed_to, aware_at: $aware_at, deadline: $deadline,
                  status: 'open', opened_by: $opened_by, opened_at: $opened_at})
