namespace ImageCore.Execution;

/// <summary>
/// A consistent snapshot of a <see cref="CalibrationCache"/>'s counters. Every request is exactly one hit or one
/// miss, so <c>Hits + Misses</c> is the number of requests; <see cref="BytesReadFromStore"/> is the sum of the
/// stored sizes of the datasets that misses read; <see cref="BytesHeld"/> the sum over the entries held now.
/// </summary>
/// <param name="Hits">Requests served without a store read of their own: found held, or joined a read already under way (single flight).</param>
/// <param name="Misses">Requests that read the store (whether or not the read succeeded).</param>
/// <param name="BytesReadFromStore">Bytes of the datasets the misses read (their stored sizes; 0 for a failed read).</param>
/// <param name="Evictions">Entries dropped by the policy to make room (not counting those dropped when the cache is disposed).</param>
/// <param name="BytesHeld">Bytes (stored sizes) of the entries the cache holds now; entries alive only through leases do not count.</param>
/// <param name="EntriesHeld">Entries the cache holds now.</param>
public sealed record CalibrationCacheCounters(long Hits, long Misses, long BytesReadFromStore, long Evictions, long BytesHeld, int EntriesHeld);
