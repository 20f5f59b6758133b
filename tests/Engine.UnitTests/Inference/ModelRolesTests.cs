using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.UnitTests.Inference;

/// <summary>Champion and challenger: two catalogs leased together, swapped atomically, never to a broken set.</summary>
public sealed class ModelRolesTests : IDisposable
{
    private readonly string _champion = ModelFixtures.CopyToScratch();
    private readonly string _challenger = Directory.CreateTempSubdirectory("challenger-").FullName;

    public void Dispose()
    {
        Directory.Delete(_champion, recursive: true);
        Directory.Delete(_challenger, recursive: true);
    }

    private ModelRoles Create(out ModelCatalog champion)
    {
        ModelOptions Options(string directory) =>
            new()
            {
                Directory = directory,
                WatchForChanges = false,
                Challenger = new ChallengerModelOptions { Directory = _challenger },
            };
        var inference = Microsoft.Extensions.Options.Options.Create(new InferenceOptions { MaxBatchSize = 8 });
        champion = new ModelCatalog(
            ModelFixtures.Loader(),
            Microsoft.Extensions.Options.Options.Create(Options(_champion)),
            inference,
            TimeProvider.System,
            NullLogger<ModelCatalog>.Instance
        );
        return new ModelRoles(
            champion,
            ModelFixtures.Loader(),
            Microsoft.Extensions.Options.Options.Create(Options(_champion)),
            inference,
            TimeProvider.System,
            NullLoggerFactory.Instance
        );
    }

    [Fact]
    public async Task AChallengerThatServesNothingIsNotPromotedOneThatRefusedAFileIsAsAReloadWouldSwapIt()
    {
        using var roles = Create(out var champion);
        using (champion)
        {
            await champion.StartAsync(CancellationToken.None);
            await roles.StartAsync(CancellationToken.None);

            // An empty challenger directory: every model refused, none served.
            var empty = Assert.Throws<InvalidOperationException>(roles.Promote);
            Assert.Contains("serves no model", empty.Message, StringComparison.Ordinal);

            // Three good files and one that is not a checkpoint.
            foreach (var name in ModelNames.All)
            {
                var folder = ModelNames.FolderOf(_challenger, name);
                Directory.CreateDirectory(folder);
                File.Copy(ModelFixtures.CheckpointOf(name), Path.Combine(folder, ModelNames.CheckpointFile));
            }

            await File.WriteAllTextAsync(
                Path.Combine(ModelNames.FolderOf(_challenger, ModelNames.Bear), ModelNames.CheckpointFile),
                "not a checkpoint"
            );
            // Nothing changed by the refusal: the champion still serves from its directory.
            Assert.Same(champion, roles.Current.Champion);
            Assert.Equal(0, roles.Current.Promotions);

            await roles.ReloadAsync(CancellationToken.None);
            var promoted = roles.Promote();
            using var lease = roles.Acquire();
            Assert.Equal(1, promoted.Promotions);
            Assert.Equal(3, lease.Set.Models.Count);
            Assert.Contains(lease.Set.Errors, e => e.Name == ModelNames.Bear);
            // The champion that was serving can always come back.
            Assert.Same(champion, roles.Promote().Champion);
        }
    }

    [Fact]
    public async Task PromotionSwapsTheRolesAtomicallyAndTheSameCallRollsBack()
    {
        foreach (var name in ModelNames.All)
        {
            var folder = ModelNames.FolderOf(_challenger, name);
            Directory.CreateDirectory(folder);
            File.Copy(ModelFixtures.CheckpointOf(name), Path.Combine(folder, ModelNames.CheckpointFile));
        }

        using var roles = Create(out var champion);
        using (champion)
        {
            await champion.StartAsync(CancellationToken.None);
            await roles.StartAsync(CancellationToken.None);
            var (before, beforeChallenger, _) = roles.AcquireBoth();

            var promoted = roles.Promote();
            var (after, afterChallenger, _) = roles.AcquireBoth();
            var rolledBack = roles.Promote();

            // A lease taken before the swap keeps its set; the next lease gets the other.
            using (before)
            using (beforeChallenger)
            using (after)
            using (afterChallenger)
            {
                Assert.Equal(Path.GetFullPath(_champion), before.Set.Directory);
                Assert.Equal(Path.GetFullPath(_challenger), beforeChallenger!.Value.Set.Directory);
                Assert.Equal(Path.GetFullPath(_challenger), after.Set.Directory);
                Assert.Equal(Path.GetFullPath(_champion), afterChallenger!.Value.Set.Directory);
            }

            Assert.Equal((1, 2), (promoted.Promotions, rolledBack.Promotions));
            Assert.Same(champion, rolledBack.Champion);
            Assert.NotNull(promoted.PromotedAt);
            using var lease = roles.Acquire();
            Assert.Equal(Path.GetFullPath(_champion), lease.Set.Directory);
        }
    }

    [Fact]
    public async Task AppliedControlStateIsAbsoluteIdempotentAndCarriesItsGenerationIntoEveryLease()
    {
        using var roles = Create(out var champion);
        using (champion)
        {
            await champion.StartAsync(CancellationToken.None);
            // The challenger has not loaded (its directory is empty): a fleet's promotion is applied anyway, as a
            // starting instance applies one before its models load.
            Assert.NotNull(roles.PromotionRefusal());
            var at = DateTimeOffset.UnixEpoch;
            var promoted = roles.Apply(promotions: 3, generation: 7, at);
            Assert.NotSame(champion, promoted.Champion);
            Assert.Equal((3, 7L, (DateTimeOffset?)at), (promoted.Promotions, promoted.Generation, promoted.PromotedAt));

            // The same state again, under a later generation (a reload): no swap, the generation moves.
            var again = roles.Apply(promotions: 3, generation: 8, at.AddDays(1));
            Assert.Same(promoted.Champion, again.Champion);
            Assert.Equal((8L, (DateTimeOffset?)at), (again.Generation, again.PromotedAt));

            // An even count is the configured champion, however many promotions led there.
            var back = roles.Apply(promotions: 10, generation: 9, at);
            Assert.Same(champion, back.Champion);
            var (lease, challenger, generation) = roles.AcquireBoth();
            lease.Dispose();
            challenger?.Dispose();
            Assert.Equal(9, generation);
        }
    }

    [Fact]
    public void WithoutAChallengerThereIsNothingToPromote()
    {
        using var champion = new ModelCatalog(
            ModelFixtures.Loader(),
            Options.Create(new ModelOptions { Directory = _champion, WatchForChanges = false }),
            Options.Create(new InferenceOptions()),
            TimeProvider.System,
            NullLogger<ModelCatalog>.Instance
        );
        using var roles = new ModelRoles(
            champion,
            ModelFixtures.Loader(),
            Options.Create(new ModelOptions { Directory = _champion }),
            Options.Create(new InferenceOptions()),
            TimeProvider.System,
            NullLoggerFactory.Instance
        );

        Assert.False(roles.HasChallenger);
        var error = Assert.Throws<InvalidOperationException>(roles.Promote);
        Assert.Contains("No challenger is configured", error.Message, StringComparison.Ordinal);
        // A fleet's promotion this instance cannot follow is refused by name; an even count it can.
        Assert.Contains(
            "no challenger",
            Assert.Throws<InvalidOperationException>(() => roles.Apply(1, 1, null)).Message
        );
        Assert.Equal(2, roles.Apply(2, 2, null).Generation);
    }
}
