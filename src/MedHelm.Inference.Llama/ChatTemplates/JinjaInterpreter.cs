using System.Text;

namespace MedHelm.Inference.Llama.ChatTemplates;

/// <summary>
/// Executes parsed templates. Semantics follow llama.cpp's template engine (common/jinja), the one llama-server runs:
/// an undefined name or attribute is <see cref="JinjaUndefined"/>, which prints as nothing, is false, iterates as
/// empty and joins with <c>+</c>/<c>~</c> as an empty string; other operations on it are errors. <c>for</c> and macro
/// bodies get their own scope (a <c>set</c> inside does not leak out; use <c>namespace()</c>).
/// </summary>
internal sealed partial class JinjaInterpreter
{
    private readonly string _source;
    private readonly Func<string, string> _strftime;

    public JinjaInterpreter(string source, Func<string, string> strftime)
    {
        _source = source;
        _strftime = strftime;
    }

    /// <summary>strftime_now: formats the fixed render time.</summary>
    public string Strftime(string format) => _strftime(format);

    /// <summary>Whether the content of a probed message was read (set by <see cref="JinjaProbeObject"/> reads).</summary>
    public bool ProbeRead { get; set; }

    public string Render(IReadOnlyList<JinjaNode> program, IReadOnlyDictionary<string, object?> variables)
    {
        var scope = new JinjaScope(null);
        foreach (var (k, v) in variables)
        {
            scope.Set(k, v);
        }

        var sb = new StringBuilder();
        ExecuteBody(program, scope, sb);
        return sb.ToString();
    }

    private void ExecuteBody(IReadOnlyList<JinjaNode> body, JinjaScope scope, StringBuilder output)
    {
        foreach (var node in body)
        {
            try
            {
                Execute(node, scope, output);
            }
            catch (JinjaRuntimeException e)
            {
                throw ChatTemplateException.At(_source, node.Position, e.Message, e, e is JinjaRaisedException);
            }
        }
    }

    private void Execute(JinjaNode node, JinjaScope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode t:
                output.Append(t.Text);
                break;
            case OutputNode o:
                output.Append(JinjaValue.OutputText(Evaluate(o.Expr, scope)));
                break;
            case IfNode i:
                ExecuteBody(JinjaValue.Truthy(Evaluate(i.Test, scope)) ? i.Then : i.Else, scope, output);
                break;
            case ForNode f:
                ExecuteFor(f, scope, output);
                break;
            case SetNode s:
                ExecuteSet(s, scope);
                break;
            case MacroNode m:
                scope.Set(m.Name, DefineMacro(m, scope));
                break;
            case LoopControlNode c:
                throw new LoopControl(c.IsBreak);
            case BlockNode b:
                ExecuteBody(b.Body, scope, output);
                break;
            default:
                throw new JinjaRuntimeException($"cannot execute {node.GetType().Name}");
        }
    }

    private void ExecuteFor(ForNode f, JinjaScope outer, StringBuilder output)
    {
        var scope = new JinjaScope(outer);
        var iterable = Evaluate(f.Iterable, scope);
        List<object?> items = iterable switch
        {
            JinjaUndefined => [],
            List<object?> list => [.. list],
            JinjaObject o => o.Entries.Select(e => (object?)new List<object?> { e.Key, e.Value }).ToList(),
            _ => throw new JinjaRuntimeException($"Expected iterable or object type in for loop: got {JinjaValue.TypeName(iterable)}"),
        };

        if (f.Filter is not null)
        {
            items = items.Where(item =>
            {
                var test = new JinjaScope(scope);
                Bind(f.Targets, item, test);
                return JinjaValue.Truthy(Evaluate(f.Filter, test));
            }).ToList();
        }

        var iterated = false;
        for (var i = 0; i < items.Count; i++)
        {
            var loop = new JinjaObject { HasMethods = false };
            loop.Set("index", (long)i + 1);
            loop.Set("index0", (long)i);
            loop.Set("revindex", (long)(items.Count - i));
            loop.Set("revindex0", (long)(items.Count - i - 1));
            loop.Set("first", i == 0);
            loop.Set("last", i == items.Count - 1);
            loop.Set("length", (long)items.Count);
            loop.Set("previtem", i > 0 ? items[i - 1] : new JinjaUndefined("previtem"));
            loop.Set("nextitem", i < items.Count - 1 ? items[i + 1] : new JinjaUndefined("nextitem"));
            scope.Set("loop", loop);
            Bind(f.Targets, items[i], scope);
            try
            {
                ExecuteBody(f.Body, scope, output);
            }
            catch (LoopControl control)
            {
                if (control.IsBreak)
                {
                    break;
                }

                continue;
            }

            iterated = true;
        }

        if (!iterated)
        {
            ExecuteBody(f.Else, outer, output);
        }
    }

    private static void Bind(IReadOnlyList<string> targets, object? item, JinjaScope scope)
    {
        if (targets.Count == 1)
        {
            scope.Set(targets[0], item);
            return;
        }

        if (item is not List<object?> tuple || tuple.Count != targets.Count)
        {
            throw new JinjaRuntimeException($"cannot unpack {JinjaValue.TypeName(item)} into {targets.Count} loop variables");
        }

        for (var i = 0; i < targets.Count; i++)
        {
            scope.Set(targets[i], tuple[i]);
        }
    }

    private void ExecuteSet(SetNode s, JinjaScope scope)
    {
        object? value;
        if (s.Value is not null)
        {
            value = Evaluate(s.Value, scope);
        }
        else
        {
            var sb = new StringBuilder();
            ExecuteBody(s.Body!, scope, sb);
            value = sb.ToString();
        }

        switch (s.Target)
        {
            case NameExpr n:
                scope.Set(n.Name, value);
                break;
            case MemberExpr { Target: NameExpr owner, Key: LiteralExpr { Value: string attribute } }:
                if (scope.Get(owner.Name) is not JinjaObject target)
                {
                    throw new JinjaRuntimeException($"cannot assign attribute '{attribute}': '{owner.Name}' is not a namespace");
                }

                target.Set(attribute, value);
                break;
            case ListExpr names:
                if (value is not List<object?> values || values.Count != names.Items.Count)
                {
                    throw new JinjaRuntimeException($"cannot unpack {JinjaValue.TypeName(value)} into {names.Items.Count} names in set");
                }

                for (var i = 0; i < values.Count; i++)
                {
                    scope.Set(((NameExpr)names.Items[i]).Name, values[i]);
                }

                break;
            default:
                throw new JinjaRuntimeException("invalid target of set");
        }
    }

    private JinjaFunction DefineMacro(MacroNode m, JinjaScope definedIn) => new(m.Name, args =>
    {
        var scope = new JinjaScope(definedIn);
        for (var i = 0; i < m.Parameters.Count; i++)
        {
            var (name, fallback) = m.Parameters[i];
            var value = args.Get(name, i);
            scope.Set(name, value is JinjaUndefined && fallback is not null ? Evaluate(fallback, definedIn) : value);
        }

        var sb = new StringBuilder();
        ExecuteBody(m.Body, scope, sb);
        return sb.ToString();
    });

    private sealed class LoopControl(bool isBreak) : Exception
    {
        public bool IsBreak { get; } = isBreak;
    }
}

/// <summary>Variables of one scope; reads fall back to the enclosing scope, writes stay here.</summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public object? Get(string name)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (s._vars.TryGetValue(name, out var v))
            {
                return v;
            }
        }

        return new JinjaUndefined(name);
    }

    public void Set(string name, object? value) => _vars[name] = value;

    private JinjaScope? Parent => parent;
}
