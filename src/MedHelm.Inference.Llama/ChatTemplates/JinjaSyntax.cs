namespace MedHelm.Inference.Llama.ChatTemplates;

/// <summary>A node of the parsed template; <see cref="Position"/> is its offset in the normalized source.</summary>
internal abstract record JinjaNode(int Position);

// ---- statements ----

internal sealed record TextNode(int Position, string Text) : JinjaNode(Position);

internal sealed record OutputNode(int Position, JinjaExpr Expr) : JinjaNode(Position);

internal sealed record IfNode(int Position, JinjaExpr Test, IReadOnlyList<JinjaNode> Then, IReadOnlyList<JinjaNode> Else) : JinjaNode(Position);

internal sealed record ForNode(
    int Position,
    IReadOnlyList<string> Targets,
    JinjaExpr Iterable,
    JinjaExpr? Filter,
    IReadOnlyList<JinjaNode> Body,
    IReadOnlyList<JinjaNode> Else) : JinjaNode(Position);

/// <summary><c>set</c>: <see cref="Target"/> is a name, an attribute (<c>ns.x</c>) or a tuple of names; the value is an expression or a block.</summary>
internal sealed record SetNode(int Position, JinjaExpr Target, JinjaExpr? Value, IReadOnlyList<JinjaNode>? Body) : JinjaNode(Position);

internal sealed record MacroNode(int Position, string Name, IReadOnlyList<(string Name, JinjaExpr? Default)> Parameters, IReadOnlyList<JinjaNode> Body)
    : JinjaNode(Position);

/// <summary><c>{% break %}</c> or <c>{% continue %}</c>.</summary>
internal sealed record LoopControlNode(int Position, bool IsBreak) : JinjaNode(Position);

/// <summary><c>{% generation %}...{% endgeneration %}</c> (a Hugging Face marker): renders its body unchanged.</summary>
internal sealed record BlockNode(int Position, IReadOnlyList<JinjaNode> Body) : JinjaNode(Position);

// ---- expressions ----

internal abstract record JinjaExpr(int Position) : JinjaNode(Position);

internal sealed record LiteralExpr(int Position, object? Value) : JinjaExpr(Position);

internal sealed record NameExpr(int Position, string Name) : JinjaExpr(Position);

internal sealed record ListExpr(int Position, IReadOnlyList<JinjaExpr> Items, bool IsTuple) : JinjaExpr(Position);

internal sealed record DictExpr(int Position, IReadOnlyList<(JinjaExpr Key, JinjaExpr Value)> Items) : JinjaExpr(Position);

/// <summary><c>a.b</c> (<see cref="Computed"/> false, <see cref="Key"/> a string literal) or <c>a[b]</c>.</summary>
internal sealed record MemberExpr(int Position, JinjaExpr Target, JinjaExpr Key, bool Computed) : JinjaExpr(Position);

internal sealed record SliceExpr(int Position, JinjaExpr Target, JinjaExpr? Start, JinjaExpr? Stop, JinjaExpr? Step) : JinjaExpr(Position);

internal sealed record CallExpr(int Position, JinjaExpr Callee, IReadOnlyList<JinjaExpr> Args, IReadOnlyList<(string Name, JinjaExpr Value)> Named)
    : JinjaExpr(Position);

internal sealed record FilterExpr(int Position, JinjaExpr Target, string Name, IReadOnlyList<JinjaExpr> Args, IReadOnlyList<(string Name, JinjaExpr Value)> Named)
    : JinjaExpr(Position);

internal sealed record TestExpr(int Position, JinjaExpr Target, string Name, bool Negated, IReadOnlyList<JinjaExpr> Args) : JinjaExpr(Position);

internal sealed record UnaryExpr(int Position, string Op, JinjaExpr Operand) : JinjaExpr(Position);

internal sealed record BinaryExpr(int Position, string Op, JinjaExpr Left, JinjaExpr Right) : JinjaExpr(Position);

internal sealed record ConditionalExpr(int Position, JinjaExpr Test, JinjaExpr Then, JinjaExpr? Else) : JinjaExpr(Position);

/// <summary>Walks a parsed template.</summary>
internal static class JinjaSyntaxWalker
{
    /// <summary>Every variable name read anywhere under <paramref name="node"/>.</summary>
    public static IEnumerable<string> Names(JinjaNode node) => Children(node).SelectMany(Names)
        .Concat(node is NameExpr n ? [n.Name] : []);

    private static IEnumerable<JinjaNode> Children(JinjaNode node) => node switch
    {
        OutputNode o => [o.Expr],
        IfNode i => [i.Test, .. i.Then, .. i.Else],
        ForNode f => [f.Iterable, .. f.Filter is null ? [] : new[] { f.Filter }, .. f.Body, .. f.Else],
        SetNode s => [s.Target, .. s.Value is null ? [] : new[] { s.Value }, .. s.Body ?? []],
        MacroNode m => [.. m.Parameters.Where(p => p.Default is not null).Select(p => p.Default!), .. m.Body],
        BlockNode b => b.Body,
        ListExpr l => l.Items,
        DictExpr d => d.Items.SelectMany(p => new[] { p.Key, p.Value }),
        MemberExpr m => [m.Target, m.Key],
        SliceExpr s => new[] { s.Target, s.Start, s.Stop, s.Step }.OfType<JinjaExpr>(),
        CallExpr c => [c.Callee, .. c.Args, .. c.Named.Select(n => n.Value)],
        FilterExpr f => [f.Target, .. f.Args, .. f.Named.Select(n => n.Value)],
        TestExpr t => [t.Target, .. t.Args],
        UnaryExpr u => [u.Operand],
        BinaryExpr b => [b.Left, b.Right],
        ConditionalExpr c => new[] { c.Test, c.Then, c.Else }.OfType<JinjaExpr>(),
        _ => [],
    };
}
