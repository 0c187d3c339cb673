export { GroupCommit } from './group-commit.js';
export { KeyedScheduler, type KeyedSchedulerOptions } from './scheduler.js';
export {
  ALL_STREAM_KEYS,
  DEFAULT_STREAM_LIMITS,
  consumerSettings,
  desiredStreamConfig,
  ensureConsumer,
  ensureStreams,
  ensureStreamsExist,
  type ConsumerSpec,
  type EnsureStreamsOptions,
  type StreamLimits,
} from './provisioning.js';
export { AddDeadLetterReplays1795460000002, CreateMessagingDeadLetters1795460000001, CreateMessagingHandled1795460000000, messagingMigrations } from './migrations.js';
export { DeadLetterRepository, HandledEventRepository, RESOLVED_REPLAY_OUTCOMES, type DeadLetter, type DeadLetterQuery, type NewDeadLetter } from './repositories.js';
export { DEFAULT_PAYLOAD_CAP_BYTES, encodePayload, type StoredPayload } from './payload.js';
export { parseEnvelope, type EnvelopeResult } from './envelope.js';
export { DependencyUnavailableError, isTransientInfraError } from './errors.js';
export {
  Outcome,
  defineHandlers,
  NothingToDo,
  prepared,
  settleEach,
  type PreparedHandler,
  type BatchContext,
  type BatchEvent,
  type BatchHandler,
  type BatchItem,
  type EventHandler,
  type EventHandlers,
  type HandlerContext,
  type HandlerOutcome,
  type TypedEvent,
} from './handlers.js';
export { MessagingMetrics, type LagSource } from './metrics.js';
export { ConsumerRunner, DeadLetterHeaders, defaultRetryBackoff, type ConsumerRunnerOptions, type ReplayMessage, type ReplayResult, type RunnerState } from './runner.js';
export { DeadLetterRedrive, MAX_REPLAY_ALL, RedriveError, type RedriveOutcome, type RedriveResult } from './redrive.js';
export { rpcRequest, serveRpc, type RpcHandler } from './rpc/functions.js';
export { RpcUnavailableError } from './rpc/errors.js';
export { RpcClient, type RpcRequestOptions } from './rpc/client.js';
export { NatsRpcServer, type NatsRpcServerOptions } from './rpc/server.js';
export { OnRequest, RpcInternalErrorReply } from './rpc/decorators.js';
export { DocumentMissingError, DocumentStore, DocumentTooLargeError, type DocumentStoreOptions } from './documents.js';
export { DEFAULT_HANDLED_RETENTION_MS, REDELIVERY_HORIZON_MS, RetentionJob, handledIdsRetention, type RetentionJobOptions, type RetentionTask } from './retention.js';
export { ConsumerRegistry } from './nest/consumer-registry.js';
export { RpcErrorPassthrough } from './nest/error-passthrough.filter.js';
export { CONSUMER_SETTINGS, JetStreamTransport, type ConsumerSettings, type ConsumerTuning, type JetStreamTransportOptions } from './nest/jetstream.transport.js';
export { JETSTREAM_TRANSPORT, OnAnyEvent, OnEvent, OnEventBatch, PrepareEvent, defineConsumer, type ConsumerDeclaration } from './nest/decorators.js';
