import { ApiOperation } from '@nestjs/swagger';

/**
 * WIRE: pins a route's OpenAPI operation id to the one the SDK (packages/sdk) was generated with:
 * `DeliveriesController_<method>`, from when one DeliveriesController served every delivery route.
 * Nothing else of the operation changes (ApiOperation alone would add an empty summary).
 */
export function OperationId(operationId: `DeliveriesController_${string}`): MethodDecorator {
  return ApiOperation({ operationId, summary: undefined });
}
