/**
 * `hypergrad/storage`: studies and trials in a journal shared by processes and machines
 * (in memory, a JSON-lines file, or PostgreSQL), and workers that run a shared study.
 * @module
 */
export * from './journal.js';
export { applyOp, emptyState, replay, studyProgress, type JournalState, type Outcome, type Applied, type Refused, type StudyProgress } from './replay.js';
export { sharedEffects, type JournalBackend, type ClaimPicker, type AppendedClaim, type SharedEffects, type LeaseAge, type TrialOfStudy } from './backend.js';
export { memoryBackend } from './memoryBackend.js';
export { fileBackend, type FileBackendOptions } from './fileBackend.js';
export { withFileLock, type FileLockOptions } from './fileLock.js';
export { postgresBackend, redactUrl, schemaOf, type PostgresBackendOptions, type UrlAndSchema } from './postgresBackend.js';
export { withReconnect, isTransient, type ReconnectOptions } from './reconnect.js';
export { JournalStorage, type CreateStudyOptions, type TrialSpec, type ApplyListener } from './journalStorage.js';
export { openStorage, backendFor, type OpenStorageOptions } from './openStorage.js';
export { StudyOptimizer, optimizerEvents, LOCAL_SLOT_ATTR, type OptimizerEvent, type AskEvent, type TellEvent } from './studyOptimizer.js';
export { runWorker, trialSeed, type RunWorkerOptions, type WorkerSummary, type WorkerObjective, type WorkerContext } from './runWorker.js';
export { startHeartbeats, type Heartbeats } from './heartbeats.js';
export { simulateIntoStorage, studyRecords, recordOfTrial, type SimulateIntoStorageOptions } from './simulationRecords.js';
export { lockRunFolder, type RunFolderLock } from './runFolderLock.js';
