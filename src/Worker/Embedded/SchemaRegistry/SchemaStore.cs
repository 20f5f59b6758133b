using Avro;

namespace Inference.Streaming.Worker.Embedded.SchemaRegistry;

/// <summary>
/// In-memory state of the embedded Schema Registry: subjects with their versions, global ids that
/// are stable for identical schemas (keyed by Avro's canonical form), and compatibility settings.
/// Compatibility uses Avro's own schema-resolution check (<see cref="Schema.CanRead"/>).
/// </summary>
public sealed class SchemaStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _idsByCanonical = new(StringComparer.Ordinal);
    private readonly Dictionary<int, (string Schema, Schema Parsed)> _schemasById = [];
    private readonly Dictionary<string, List<RegisteredSchema>> _subjects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CompatibilityLevel> _subjectLevels = new(StringComparer.Ordinal);
    private CompatibilityLevel _globalLevel = CompatibilityLevel.BACKWARD;

    /// <summary>Registers <paramref name="schema"/> under <paramref name="subject"/>; returns its global id.</summary>
    public int Register(string subject, string schema)
    {
        var (parsed, canonical) = Parse(schema);
        lock (_gate)
        {
            if (_subjects.TryGetValue(subject, out var versions))
            {
                var existing = versions.Find(v => _schemasById[v.Id].Parsed.ToString() == canonical);
                if (existing is not null)
                {
                    return existing.Id;
                }

                var problem = FindIncompatibility(parsed, versions, LevelOf(subject));
                if (problem is not null)
                {
                    throw RegistryApiException.Incompatible(problem);
                }
            }
            else
            {
                versions = [];
                _subjects[subject] = versions;
            }

            if (!_idsByCanonical.TryGetValue(canonical, out var id))
            {
                id = _idsByCanonical.Count + 1;
                _idsByCanonical[canonical] = id;
                _schemasById[id] = (canonical, parsed);
            }

            var version = versions.Count == 0 ? 1 : versions[^1].Version + 1;
            versions.Add(new RegisteredSchema(subject, version, id, canonical));
            return id;
        }
    }

    /// <summary>Finds the version of <paramref name="subject"/> that holds <paramref name="schema"/>.</summary>
    public RegisteredSchema Lookup(string subject, string schema)
    {
        var (_, canonical) = Parse(schema);
        lock (_gate)
        {
            var versions = VersionsOf(subject);
            return versions.Find(v => v.Schema == canonical)
                ?? throw RegistryApiException.SchemaNotFound("not registered under subject " + subject);
        }
    }

    public string GetById(int id)
    {
        lock (_gate)
        {
            return _schemasById.TryGetValue(id, out var entry)
                ? entry.Schema
                : throw RegistryApiException.SchemaNotFound($"id {id}");
        }
    }

    public IReadOnlyList<RegisteredSchema> UsagesOf(int id)
    {
        lock (_gate)
        {
            _ = GetById(id);
            return
            [
                .. _subjects
                    .Values.SelectMany(v => v)
                    .Where(v => v.Id == id)
                    .OrderBy(v => v.Subject, StringComparer.Ordinal)
                    .ThenBy(v => v.Version),
            ];
        }
    }

    public IReadOnlyList<string> Subjects()
    {
        lock (_gate)
        {
            return [.. _subjects.Keys.Order(StringComparer.Ordinal)];
        }
    }

    public IReadOnlyList<int> Versions(string subject)
    {
        lock (_gate)
        {
            return [.. VersionsOf(subject).Select(v => v.Version)];
        }
    }

    /// <summary>Gets a version by number, or the latest for <c>latest</c> / <c>-1</c>.</summary>
    public RegisteredSchema GetVersion(string subject, string version)
    {
        lock (_gate)
        {
            var versions = VersionsOf(subject);
            if (version is "latest" or "-1")
            {
                return versions[^1];
            }

            if (!int.TryParse(version, out var number) || number < 1)
            {
                throw RegistryApiException.InvalidVersion(version);
            }

            return versions.Find(v => v.Version == number) ?? throw RegistryApiException.VersionNotFound(number);
        }
    }

    public IReadOnlyList<int> DeleteSubject(string subject)
    {
        lock (_gate)
        {
            var versions = VersionsOf(subject);
            _subjects.Remove(subject);
            _subjectLevels.Remove(subject);
            return [.. versions.Select(v => v.Version)];
        }
    }

    /// <summary>Checks <paramref name="schema"/> against one version (or, for a transitive level, all).</summary>
    public bool IsCompatible(string subject, string version, string schema, out string? problem)
    {
        var (parsed, _) = Parse(schema);
        lock (_gate)
        {
            var level = LevelOf(subject);
            List<RegisteredSchema> against;
            if (!_subjects.ContainsKey(subject) && version is "latest" or "-1")
            {
                against = [];
            }
            else if (
                level
                is CompatibilityLevel.BACKWARD_TRANSITIVE
                    or CompatibilityLevel.FORWARD_TRANSITIVE
                    or CompatibilityLevel.FULL_TRANSITIVE
            )
            {
                against = VersionsOf(subject);
            }
            else
            {
                against = [GetVersion(subject, version)];
            }

            problem = FindIncompatibility(parsed, against, level);
            return problem is null;
        }
    }

    public CompatibilityLevel GlobalLevel
    {
        get
        {
            lock (_gate)
            {
                return _globalLevel;
            }
        }
        set
        {
            lock (_gate)
            {
                _globalLevel = value;
            }
        }
    }

    public CompatibilityLevel? SubjectLevel(string subject)
    {
        lock (_gate)
        {
            return _subjectLevels.TryGetValue(subject, out var level) ? level : null;
        }
    }

    public void SetSubjectLevel(string subject, CompatibilityLevel level)
    {
        lock (_gate)
        {
            _subjectLevels[subject] = level;
        }
    }

    public void DeleteSubjectLevel(string subject)
    {
        lock (_gate)
        {
            _subjectLevels.Remove(subject);
        }
    }

    private CompatibilityLevel LevelOf(string subject) =>
        _subjectLevels.TryGetValue(subject, out var level) ? level : _globalLevel;

    private List<RegisteredSchema> VersionsOf(string subject) =>
        _subjects.TryGetValue(subject, out var versions) && versions.Count > 0
            ? versions
            : throw RegistryApiException.SubjectNotFound(subject);

    private string? FindIncompatibility(Schema candidate, List<RegisteredSchema> versions, CompatibilityLevel level)
    {
        if (level == CompatibilityLevel.NONE || versions.Count == 0)
        {
            return null;
        }

        var transitive =
            level
            is CompatibilityLevel.BACKWARD_TRANSITIVE
                or CompatibilityLevel.FORWARD_TRANSITIVE
                or CompatibilityLevel.FULL_TRANSITIVE;
        var checkBackward = level is not (CompatibilityLevel.FORWARD or CompatibilityLevel.FORWARD_TRANSITIVE);
        var checkForward = level is not (CompatibilityLevel.BACKWARD or CompatibilityLevel.BACKWARD_TRANSITIVE);
        IEnumerable<RegisteredSchema> against = transitive ? versions : [versions[^1]];
        foreach (var existing in against)
        {
            var old = _schemasById[existing.Id].Parsed;
            // BACKWARD: a consumer on the new schema reads data written with the old one.
            if (checkBackward && !candidate.CanRead(old))
            {
                return $"{existing.Subject} version {existing.Version}: the new schema cannot read data written with "
                    + $"it ({level}).";
            }

            // FORWARD: a consumer still on the old schema reads data written with the new one.
            if (checkForward && !old.CanRead(candidate))
            {
                return $"{existing.Subject} version {existing.Version}: it cannot read data written with the new "
                    + $"schema ({level}).";
            }
        }

        return null;
    }

    private static (Schema Parsed, string Canonical) Parse(string schema)
    {
        try
        {
            // Printing can fail too (an unresolved type name parses, then throws on ToString).
            var parsed = Schema.Parse(schema);
            return (parsed, parsed.ToString());
        }
        // Avro reports bad schemas with several exception types (parse, type, JSON reader errors).
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw RegistryApiException.InvalidSchema(ex.Message);
        }
    }
}
