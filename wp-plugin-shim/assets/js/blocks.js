// Editor side of the Gold Coins blocks, on WordPress's own wp.* scripts (no build step). Each widget block previews
// the server's own rendering (the live widget); the premium content block edits its inner blocks in a marked frame.
( function ( wp, config ) {
	const el = wp.element.createElement;
	const { InnerBlocks, InspectorControls, useBlockProps } = wp.blockEditor;
	const { PanelBody, TextareaControl, TextControl } = wp.components;
	const ServerSideRender = wp.serverSideRender;
	const s = config.strings;

	function Label( { name } ) {
		return el( 'p', { className: 'goldcoin-block-label' }, config.titles[ name ] );
	}

	function Empty() {
		return el( 'p', { className: 'goldcoin-block-empty' }, s.empty );
	}

	function preview( name, controls ) {
		return function Edit( props ) {
			return el(
				'div',
				useBlockProps( { className: 'goldcoin-block-preview' } ),
				controls ? controls( props ) : null,
				el( Label, { name } ),
				el( ServerSideRender, { block: name, attributes: props.attributes, EmptyResponsePlaceholder: Empty } )
			);
		};
	}

	function unlockControls( props ) {
		return el(
			InspectorControls,
			null,
			el(
				PanelBody,
				{ title: config.titles[ 'goldcoin/unlock' ] },
				el( TextControl, {
					label: s.postId,
					help: s.postIdHelp,
					type: 'number',
					min: 0,
					value: props.attributes.postId || '',
					onChange: ( value ) => props.setAttributes( { postId: Math.max( 0, parseInt( value, 10 ) || 0 ) } ),
				} )
			)
		);
	}

	function PremiumEdit( props ) {
		const teaser = props.attributes.teaser;
		return el(
			'div',
			useBlockProps( { className: 'goldcoin-premium-editor' } ),
			el(
				InspectorControls,
				null,
				el(
					PanelBody,
					{ title: s.settings },
					el( TextareaControl, {
						label: s.teaser,
						help: s.teaserHelp,
						value: teaser,
						onChange: ( value ) => props.setAttributes( { teaser: value } ),
					} )
				)
			),
			el( 'p', { className: 'goldcoin-block-label' }, s.premium ),
			teaser ? el( 'p', { className: 'goldcoin-premium-teaser' }, teaser ) : null,
			el( InnerBlocks, null )
		);
	}

	const save = () => null;
	[ 'recharge', 'wallet', 'redeem', 'vip-tiers', 'referral', 'bell', 'licenses' ].forEach( ( name ) =>
		wp.blocks.registerBlockType( 'goldcoin/' + name, { edit: preview( 'goldcoin/' + name ), save } )
	);
	wp.blocks.registerBlockType( 'goldcoin/unlock', { edit: preview( 'goldcoin/unlock', unlockControls ), save } );
	// The inner blocks are saved in the post; the server decides who gets them rendered.
	wp.blocks.registerBlockType( 'goldcoin/premium-content', { edit: PremiumEdit, save: () => el( InnerBlocks.Content ) } );
} )( window.wp, window.goldcoinBlocks );
